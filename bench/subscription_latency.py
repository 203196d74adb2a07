"""Subscribers on server A, sequential updates through server B: write round trip vs event
delivery to every subscriber. Usage: subscription_latency.py A_URL B_URL TOKEN SUBSCRIBERS WRITES"""
import asyncio
import json
import statistics
import sys
import time
import urllib.request

import websockets

A, B, TOKEN, SUBSCRIBERS, WRITES = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
QUERY = "subscription { facilityChanged { kind id version } }"


def post(query, variables):
    request = urllib.request.Request(
        f"{B}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {TOKEN}"},
    )
    with urllib.request.urlopen(request) as response:
        body = json.load(response)
    assert "errors" not in body, body
    return body["data"]


async def subscriber(ready, arrivals):
    async with websockets.connect(A.replace("http", "ws", 1) + "/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": QUERY}}))
        ready.set_result(None) if not ready.done() else None
        async for message in ws:
            m = json.loads(message)
            if m["type"] == "next":
                v = m["payload"]["data"]["facilityChanged"]["version"]
                arrivals.setdefault(v, []).append(time.perf_counter())


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


async def main():
    created = post('mutation { createFacility(input: { kind: MEAL_POINT, name: "bench", location: { lon: 106.3, lat: 38.47 } }) { id } }', {})
    fid = created["createFacility"]["id"]
    arrivals = {}
    readies = [asyncio.get_running_loop().create_future() for _ in range(SUBSCRIBERS)]
    tasks = [asyncio.create_task(subscriber(r, arrivals)) for r in readies]
    await asyncio.gather(*readies)
    await asyncio.sleep(0.5)
    update = "mutation($id: ID!, $v: Int!) { updateFacility(id: $id, version: $v, input: { capacity: $v }) { version } }"
    round_trips, deliveries = [], []
    for version in range(1, WRITES + 1):
        sent = time.perf_counter()
        await asyncio.to_thread(post, update, {"id": fid, "v": version})
        round_trips.append(time.perf_counter() - sent)
        deadline = time.perf_counter() + 5
        while len(arrivals.get(version + 1, [])) < SUBSCRIBERS and time.perf_counter() < deadline:
            await asyncio.sleep(0.0002)
        got = arrivals.get(version + 1, [])
        assert len(got) == SUBSCRIBERS, f"version {version + 1}: {len(got)} of {SUBSCRIBERS} subscribers"
        deliveries.append(max(got) - sent)
    for t in tasks:
        t.cancel()
    rt50, rt99 = pct(round_trips, 50), pct(round_trips, 99)
    d50, d99 = pct(deliveries, 50), pct(deliveries, 99)
    print(f"subscribers {SUBSCRIBERS:4d}, writes {WRITES}: write round trip p50 {rt50:.2f} ms p99 {rt99:.2f} ms; "
          f"event at all subscribers p50 {d50:.2f} ms p99 {d99:.2f} ms; ratio p50 {d50 / rt50:.2f}")


asyncio.run(main())
