"""`Dataset.sample` and `run_project(sample=...)`: a smaller, even, repeatable judgement."""

from __future__ import annotations

import pytest

from earned.evals import Dataset, DatasetError


def cases(n: int) -> Dataset:
    return Dataset.of("d", [{"id": f"c{i}", "input": i} for i in range(n)])


def test_a_sample_is_spread_evenly_and_the_same_every_time() -> None:
    data = cases(10)
    picked = [s.id for s in data.sample(4)]
    assert picked == ["c0", "c2", "c5", "c7"]
    assert [s.id for s in data.sample(4)] == picked
    assert data.sample(4).hash != data.hash


def test_a_sample_larger_than_the_dataset_is_the_dataset() -> None:
    data = cases(3)
    assert data.sample(3) is data
    assert data.sample(50) is data


def test_an_empty_sample_is_refused() -> None:
    with pytest.raises(DatasetError, match="at least one case"):
        cases(3).sample(0)
