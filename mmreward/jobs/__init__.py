"""Offline relabeling of datasets with any capability: resumable, here or on Ray Data."""

from mmreward.jobs.formats import JobError
from mmreward.jobs.runner import RayOptions, relabel
from mmreward.jobs.spec import RelabelSpec
from mmreward.jobs.summary import Summary

__all__ = ["JobError", "RayOptions", "RelabelSpec", "Summary", "relabel"]
