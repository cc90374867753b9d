"""Batch relabeling of datasets: in this process, or spread over Redis Streams workers."""

from mmreward.jobs.records import RelabelSpec
from mmreward.jobs.relabel import relabel_file
from mmreward.jobs.streams import RelabelQueue, StreamWorker

__all__ = ["RelabelQueue", "RelabelSpec", "StreamWorker", "relabel_file"]
