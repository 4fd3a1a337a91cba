"""TaskQueue, TaskStack and TaskRing: order, passes, iteration protocol and editing."""

from __future__ import annotations

import itertools

import pytest

from aioca import GatherTask, TaskQueue, TaskRing, TaskStack

from .helpers import Value


def test_queue_iterates_first_in_first_out_then_stops() -> None:
    a, b, c = Value(1), Value(2), Value(3)
    queue = TaskQueue()
    queue += a
    queue += b
    queue += c
    assert next(queue) is a
    assert next(queue) is b
    assert next(queue) is c
    with pytest.raises(StopIteration):
        next(queue)


def test_stack_iterates_last_in_first_out() -> None:
    a, b, c = Value(1), Value(2), Value(3)
    assert list(TaskStack(a, b, c)) == [c, b, a]


def test_iterating_does_not_empty_the_queue() -> None:
    a, b = Value(1), Value(2)
    queue = TaskQueue(a, b)
    assert list(queue) == [a, b]
    assert list(queue) == [a, b]
    assert queue.tasks == (a, b)
    stack = TaskStack(a, b)
    assert list(stack) == [b, a]
    assert stack.tasks == (a, b)


def test_next_after_stop_starts_a_new_run() -> None:
    a = Value(1)
    queue = TaskQueue(a)
    assert next(queue) is a
    with pytest.raises(StopIteration):
        next(queue)
    assert next(queue) is a


def test_ring_repeats_its_tasks_iter_num_times_in_fifo_order() -> None:
    a, b = Value(1), Value(2)
    assert list(TaskRing(a, b, iter_num=3)) == [a, b, a, b, a, b]


def test_ring_without_iter_num_repeats_forever() -> None:
    a = Value(1)
    ring = TaskRing(a)
    assert ring.iter_num is None
    assert list(itertools.islice(ring, 1000)) == [a] * 1000


def test_ring_schedule_pauses_between_passes_but_not_after_the_last() -> None:
    a, b = Value(1), Value(2)
    ring = TaskRing(a, b, iter_num=3, iter_interval=1.5)
    assert list(ring.schedule()) == [
        (0.0, a),
        (0.0, b),
        (1.5, a),
        (0.0, b),
        (1.5, a),
        (0.0, b),
    ]


def test_empty_ring_ends_instead_of_spinning() -> None:
    assert list(TaskRing()) == []
    assert list(TaskRing(iter_num=5)) == []


def test_ring_zero_passes_runs_nothing() -> None:
    assert list(TaskRing(Value(1), iter_num=0)) == []


def test_tasks_added_to_a_running_ring_join_from_the_next_pass() -> None:
    a, b = Value(1), Value(2)
    ring = TaskRing(a, iter_num=2)
    assert next(ring) is a
    ring += b
    assert [next(ring), next(ring)] == [a, b]
    with pytest.raises(StopIteration):
        next(ring)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"iter_num": -1}, "iter_num"),
        ({"iter_num": 1.5}, "iter_num"),
        ({"iter_num": True}, "iter_num"),
        ({"iter_interval": -0.1}, "iter_interval"),
        ({"iter_interval": "1"}, "iter_interval"),
    ],
)
def test_ring_rejects_bad_settings(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TaskRing(**kwargs)  # type: ignore[arg-type]


def test_plus_and_minus_return_new_queues_of_the_same_kind() -> None:
    a, b = Value(1), Value(2)
    ring = TaskRing(a, iter_num=2, iter_interval=0.5)
    bigger = ring + b
    assert isinstance(bigger, TaskRing)
    assert (bigger.iter_num, bigger.iter_interval) == (2, 0.5)
    assert bigger.tasks == (a, b)
    assert ring.tasks == (a,)
    smaller = bigger - a
    assert smaller.tasks == (b,)
    assert bigger.tasks == (a, b)


def test_minus_equals_removes_by_identity_and_missing_task_raises() -> None:
    a, b = Value(1), Value(1)
    queue = TaskQueue(a, b)
    queue -= b
    assert queue.tasks == (a,)
    with pytest.raises(ValueError, match="not in this TaskQueue"):
        queue -= b


def test_add_tasks_appends_several_and_chains() -> None:
    a, b, c = Value(1), Value(2), Value(3)
    queue = TaskQueue().add_tasks(a, b).add_tasks(c)
    assert queue.tasks == (a, b, c)
    assert len(queue) == 3


def test_queue_holds_composites_but_not_queues() -> None:
    gather = GatherTask(Value(1))
    queue = TaskQueue(gather)
    assert queue.tasks == (gather,)
    with pytest.raises(TypeError, match="holds tasks"):
        queue += TaskQueue()  # type: ignore[arg-type]
