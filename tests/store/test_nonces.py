"""A nonce is accepted once across every worker, in the database and in Redis."""

import threading

import pytest

from store.nonces import DatabaseNonceStore, RedisNonceStore


def _stores(database, redis_client):
    return {"database": DatabaseNonceStore(database), "redis": RedisNonceStore(redis_client)}


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_a_nonce_is_accepted_once(database, redis_client, backend):
    store = _stores(database, redis_client)[backend]
    assert store.consume("https://lms", "n-1", ttl_seconds=60)
    assert not store.consume("https://lms", "n-1", ttl_seconds=60)
    assert store.consume("https://other-lms", "n-1", ttl_seconds=60)  # issuers do not collide


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_concurrent_replays_let_exactly_one_through(database, redis_client, backend):
    store = _stores(database, redis_client)[backend]
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def attempt() -> None:
        barrier.wait()
        results.append(store.consume("https://lms", "raced", ttl_seconds=60))

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def test_redis_nonces_expire_with_the_token(redis_client):
    store = RedisNonceStore(redis_client)
    store.consume("https://lms", "short", ttl_seconds=30)
    ttl = redis_client.ttl("pbridge:nonce:https://lms|short")
    assert 0 < ttl <= 30
