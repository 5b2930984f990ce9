"""Per-tenant memories of a process are bounded (tenants/memory.py): a worker that serves
10,000 tenants keeps at most the limit, dropping the oldest first."""

from tenants.memory import BoundedDict


def test_a_bounded_dict_keeps_at_most_its_limit_dropping_the_oldest() -> None:
    memory: BoundedDict[str, int] = BoundedDict(3)
    for index in range(10):
        memory[f"tenant-{index}"] = index
        assert len(memory) <= 3
    assert list(memory) == ["tenant-7", "tenant-8", "tenant-9"]


def test_updating_a_remembered_key_drops_nothing() -> None:
    memory: BoundedDict[str, int] = BoundedDict(2)
    memory["a"], memory["b"] = 1, 2
    memory["a"] = 3
    assert memory == {"a": 3, "b": 2}
