"""Fixtures of the training-loop tests: one tiny policy and one in-process client per module."""

import pytest
from rl_runs import make_workdir

from mmreward.clients import LocalClient
from mmreward.settings import Settings


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return make_workdir(tmp_path_factory)


@pytest.fixture(scope="module")
def client(workdir):
    with LocalClient(Settings(sandbox_workers=1, recipes_dir=workdir / "recipes")) as local:
        yield local
