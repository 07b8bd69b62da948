"""ProjectIsolationFilter: a host with projects takes only theirs."""

from sora_api.scheduler import host_table
from sora_api.scheduler.filters import project_isolation


def test_a_host_without_projects_takes_every_project(conf, make_host,
                                                     make_spec, keeps):
    f = project_isolation.ProjectIsolationFilter(conf)
    assert keeps(f, make_host(), make_spec(project_id='anyone'))


def test_a_dedicated_host_takes_only_its_projects(conf, make_host, make_spec,
                                                  survivors):
    f = project_isolation.ProjectIsolationFilter(conf)
    shared = make_host('shared')
    mine = make_host('mine', projects=['p1', 'p2'])
    theirs = make_host('theirs', projects=['p3'])
    hosts = [shared, mine, theirs]
    assert survivors(f, hosts, make_spec(project_id='p1')) == [shared, mine]
    assert survivors(f, hosts, make_spec(project_id='p3')) == [shared,
                                                               theirs]
    assert survivors(f, hosts, make_spec(project_id='p9')) == [shared]


def test_explain_names_the_projects(conf, make_host, make_spec):
    f = project_isolation.ProjectIsolationFilter(conf)
    table = host_table.as_table([make_host(projects=['p2', 'p1'])])
    assert f.explain(table, 0, make_spec(project_id='p9')) == (
        "is dedicated to projects ['p1', 'p2'], not p9")
