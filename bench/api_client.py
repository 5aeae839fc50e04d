"""An independent API client for deadline-burst measurements: the standard library only.

    python bench/api_client.py --url http://127.0.0.1:8000 --tokens-file tokens.txt \
        --file assignments/losses/reference.py --count 300 --expect-score 35

It shares no code with the service or with bench/load_test.py (which audits the database): it
sees only what a student's program sees. It posts ``--count`` copies of ``--file`` to
``POST /api/v1/assignments/<name>/submissions`` round-robin over the tokens (one per line) from
``--clients`` threads (as fast as they can, or ``--rate`` per second), waits out 429 and 503
answers (Retry-After) and sends again, and polls ``GET /api/v1/submissions/<id>`` (each
unfinished one every ``--poll-seconds``, 1 s, or later when the answer's Retry-After asks so, up to 10 s, as
`grade --submit` does; ``--ignore-retry-after`` reads every second regardless) until every accepted
submission is done: the last score is seen up to that long after it is stored. It prints a line "posted K" as it goes
(bench/load_test.py's --external-client reads them), then the throughput from the first POST to
the last score it saw, and checks: every accepted id finished (none lost), every score is
--expect-score, ids are distinct, and a second read of every result gives the same score and
checks (no result graded twice into another). Exit status 1 if any check fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

FINISHED = {"done", "error"}


class Connection:
    """One keep-alive HTTP connection (per thread), reopened when the server closes it."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self._connection: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        for attempt in range(3):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self._connection.request(method, self.prefix + path, body=body, headers=headers or {})
                response = self._connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self._connection.close()
                    self._connection = None
                return response.status, {k.lower(): v for k, v in response.getheaders()}, data
            except (http.client.HTTPException, OSError):
                self._connection.close()
                self._connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def multipart(field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            "Content-Type: text/x-python\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def _timestamp(value: object) -> float | None:
    """Seconds since the epoch of an ISO 8601 timestamp from the API, or None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the service's base URL")
    parser.add_argument("--tokens-file", required=True, type=Path, help="API tokens of enrolled students, one per line")
    parser.add_argument("--file", required=True, type=Path, help="the file to submit")
    parser.add_argument("--assignment", default="losses")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8, help="posting threads")
    parser.add_argument(
        "--rate", type=float, default=None, help="offered load: submission n is sent n / RATE s after the first"
    )
    parser.add_argument("--expect-score", type=float, default=None, help="the score every submission must get")
    parser.add_argument(
        "--poll-seconds",
        type=float,
        default=1.0,
        help="each unfinished submission is read once per this many seconds (as `grade --submit`)",
    )
    parser.add_argument(
        "--ignore-retry-after",
        action="store_true",
        help="read every --poll-seconds even when the server's Retry-After asks for longer",
    )
    parser.add_argument("--timeout", type=float, default=300, help="give up waiting after this many seconds")
    return parser.parse_args()


MAX_HINTED_WAIT = 10.0


def next_read_in(headers: dict[str, str], args: argparse.Namespace) -> float:
    """Seconds until a pending submission is read again: --poll-seconds, or the server's Retry-After if longer."""
    if args.ignore_retry_after:
        return args.poll_seconds
    try:
        hinted = float(int(headers.get("retry-after", "")))
    except ValueError:
        return args.poll_seconds
    return max(args.poll_seconds, min(hinted, MAX_HINTED_WAIT))


def main() -> int:
    args = parse_args()
    tokens = [line.strip() for line in args.tokens_file.read_text().splitlines() if line.strip()]
    content = args.file.read_bytes()
    path = f"/api/v1/assignments/{args.assignment}/submissions"
    lock = threading.Lock()
    next_index = iter(range(args.count))
    accepted: dict[int, tuple[str, float]] = {}  # id -> (token, time of its 202)
    # The Retry-After of every 202 and of every read ("-" when there was none).
    post_hints: list[str] = []
    read_hints: list[str] = []  # one per GET (the last read of each submission finds it finished)
    read_at: dict[int, float] = {}  # id -> when (time.monotonic()) to read it next
    refusals: dict[int, int] = {}
    failures: list[str] = []
    first_post: list[float] = []
    schedule_start = time.monotonic()

    def post_loop() -> None:
        connection = Connection(args.url)
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            if args.rate:
                time.sleep(max(0.0, schedule_start + index / args.rate - time.monotonic()))
            token = tokens[index % len(tokens)]
            body, content_type = multipart("file", args.file.name, content)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
            while True:
                with lock:
                    if not first_post:
                        first_post.append(time.time())
                status, response_headers, data = connection.request("POST", path, body, headers)
                if status in (429, 503):
                    with lock:
                        refusals[status] = refusals.get(status, 0) + 1
                    time.sleep(min(float(response_headers.get("retry-after", "1") or 1), 5.0))
                    continue
                break
            if status != 202:
                with lock:
                    failures.append(f"POST {index}: HTTP {status} {data[:200]!r}")
                continue
            submission_id = int(json.loads(data)["id"])
            with lock:  # one line at a time: print() from several threads can interleave
                accepted[submission_id] = (token, time.time())
                read_at[submission_id] = time.monotonic() + next_read_in(response_headers, args)
                post_hints.append(response_headers.get("retry-after", "-"))
                sys.stdout.write(f"posted {len(accepted)}\n")
                sys.stdout.flush()

    posters = [threading.Thread(target=post_loop) for _ in range(args.clients)]
    for thread in posters:
        thread.start()

    seen: dict[int, tuple[float, dict]] = {}  # id -> (time first seen finished, body)
    deadline = time.monotonic() + args.timeout

    def poll_loop(shard: int) -> None:
        # Each poller reads its share of the ids (as each student polls their own): one thread
        # reading them all in turn would see scores seconds late under load.
        connection = Connection(args.url)
        while time.monotonic() < deadline:
            with lock:
                pending = [
                    (i, token) for i, (token, _) in accepted.items() if i % args.clients == shard and i not in seen
                ]
                posting = any(thread.is_alive() for thread in posters)
            if not pending and not posting:
                return
            now = time.monotonic()
            for submission_id, token in pending:
                if read_at[submission_id] > now:
                    continue
                status, headers, data = connection.request(
                    "GET", f"/api/v1/submissions/{submission_id}", headers={"Authorization": f"Bearer {token}"}
                )
                with lock:
                    read_hints.append(headers.get("retry-after", "-"))
                    read_at[submission_id] = time.monotonic() + next_read_in(headers, args)
                if status == 200:
                    body = json.loads(data)
                    if body.get("status") in FINISHED:
                        with lock:
                            seen[submission_id] = (time.time(), body)
            # As a student's program would: each submission read once per interval, not in a busy
            # loop (reads cost the web tier CPU that grading needs on the same machine).
            with lock:
                due = min((read_at[i] for i, _ in pending if i not in seen), default=now + args.poll_seconds)
            time.sleep(min(max(0.0, due - time.monotonic()), args.poll_seconds))

    pollers = [threading.Thread(target=poll_loop, args=(shard,)) for shard in range(args.clients)]
    for thread in pollers:
        thread.start()
    for thread in pollers:
        thread.join()
    poller = Connection(args.url)
    for thread in posters:
        thread.join()

    # A second read of every result: a submission graded twice would show another score or other checks.
    changed = []
    for submission_id, (_, body) in seen.items():
        token = accepted[submission_id][0]
        _, _, data = poller.request(
            "GET", f"/api/v1/submissions/{submission_id}", headers={"Authorization": f"Bearer {token}"}
        )
        again = json.loads(data)
        if (again.get("score"), len(again.get("tests", []))) != (body.get("score"), len(body.get("tests", []))):
            changed.append(submission_id)

    lost = sorted(set(accepted) - set(seen))
    errors = sorted(i for i, (_, body) in seen.items() if body.get("status") != "done")
    wrong = sorted(
        i
        for i, (_, body) in seen.items()
        if args.expect_score is not None and body.get("status") == "done" and body.get("score") != args.expect_score
    )
    print(
        f"accepted {len(accepted)}/{args.count}; refused and sent again: {refusals or 'none'}; "
        f"other failures: {len(failures)}"
    )
    for failure in failures[:5]:
        print(f"  {failure}")
    print(
        f"finished {len(seen)}; lost or unfinished within --timeout {len(lost)}; ended in error {len(errors)}; "
        f"wrong score {len(wrong)}; changed on a second read {len(changed)}; distinct ids {len(set(accepted))}"
    )
    if seen and first_post:
        last = max(when for when, _ in seen.values())
        latencies = [seen[i][0] - accepted[i][1] for i in seen]
        print(
            f"client throughput {len(seen) / (last - first_post[0]):.1f} submissions/s "
            f"(first POST to the last score seen, {last - first_post[0]:.1f} s)"
        )
        # The API's own finished_at (the service's clock, on this machine the same one): the end
        # without the polling interval's delay.
        finished = [_timestamp(body.get("finished_at")) for _, body in seen.values()]
        if finished and all(value is not None for value in finished):
            end = max(value for value in finished if value is not None)
            print(
                f"API throughput {len(seen) / (end - first_post[0]):.1f} submissions/s "
                f"(first POST to the last finished_at the API reports, {end - first_post[0]:.1f} s)"
            )
        latencies.sort()
        print(
            f"202 to score seen: p50 {statistics.median(latencies):.2f} s, "
            f"p95 {latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]:.2f} s, "
            f"max {latencies[-1]:.2f} s"
        )
        print(
            f"reads of submissions: {len(read_hints)} ({len(read_hints) / len(seen):.1f} per submission, the last one finding the score)"
        )
        told = sorted(
            Counter(post_hints + read_hints).items(),
            key=lambda item: (not item[0].isdigit(), int(item[0]) if item[0].isdigit() else 0),
        )
        print("Retry-After received (value: times): " + ", ".join(f"{value}: {times}" for value, times in told))
    ok = not (failures or lost or errors or wrong or changed) and len(accepted) == args.count
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
