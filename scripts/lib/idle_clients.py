#!/usr/bin/env python3
"""Opens many idle mutual-TLS connections to the test backend from one process, for
scripts/targets/bench-idle-connections.

Python's ssl module (OpenSSL) on purpose: the client must not share the backend's TLS stack
(BoringSSL) nor the device's (wolfSSL). One asyncio loop holds every connection, so the client
costs one file descriptor per connection and no thread.

Steps: open N connections (at most --concurrency handshakes in flight, each with a timeout), let
the backend settle, read its RSS / peak / threads from /proc/PID/status, send one request on a
sample of the connections to prove they are still served, then close them all. Prints one JSON
object (the figures) on stdout; progress goes to stderr.
"""

import argparse
import asyncio
import json
import os
import ssl
import sys
import time

REQUEST_TEMPLATE = "GET /v1/devices/{device} HTTP/1.1\r\nHost: x\r\n\r\n"


def proc_status(pid):
    """VmRSS, VmHWM (KiB) and Threads of a process, from /proc/PID/status."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                fields[key] = int(value.split()[0])
    return {"rss_kib": fields["VmRSS"], "peak_rss_kib": fields["VmHWM"], "threads": fields["Threads"]}


def cpu_seconds(pid):
    """User + system CPU time of a process so far, from /proc/PID/stat (fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log(message):
    print(f"  [clients] {message}", file=sys.stderr, flush=True)


async def open_one(args, context, semaphore, latencies):
    """One connection with a completed handshake, or the reason it failed."""
    async with semaphore:
        started = time.monotonic()
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    args.host, args.port, ssl=context, server_hostname=args.host,
                    ssl_handshake_timeout=args.handshake_timeout),
                timeout=args.handshake_timeout + 1)
        except (OSError, ssl.SSLError, asyncio.TimeoutError) as error:
            return None, f"{type(error).__name__}: {error}"
        latencies.append(time.monotonic() - started)
        return (reader, writer), None


async def probe(connection, request, timeout):
    """Sends the request on an open connection; True if the answer is 200 with its full body."""
    reader, writer = connection

    async def exchange():
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *headers = head.decode("latin-1").split("\r\n")
        length = 0
        for header in headers:
            name, _, value = header.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)  # the body, so the connection stays usable
        return status_line

    try:
        status_line = await asyncio.wait_for(exchange(), timeout)
    except (OSError, ssl.SSLError, asyncio.TimeoutError, asyncio.IncompleteReadError,
            asyncio.LimitOverrunError, ValueError) as error:
        return False, f"{type(error).__name__}: {error}"
    return status_line.split(" ")[1:2] == ["200"], status_line


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def main(args):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(args.ca)
    context.load_cert_chain(args.cert, args.key)

    semaphore = asyncio.Semaphore(args.concurrency)
    latencies = []
    # CPU of both sides while opening: on a small machine, which one limits the handshake rate.
    backend_cpu_before, client_cpu_before = cpu_seconds(args.pid), time.process_time()
    started = time.monotonic()
    tasks = [asyncio.create_task(open_one(args, context, semaphore, latencies)) for _ in range(args.count)]
    # Progress every few seconds, so a slow run does not look hung.
    pending = set(tasks)
    while pending:
        _, pending = await asyncio.wait(pending, timeout=5)
        if pending:
            log(f"{args.count - len(pending)}/{args.count} attempted, {len(latencies)} open, "
                f"{time.monotonic() - started:.0f} s")
    open_seconds = time.monotonic() - started
    backend_cpu = cpu_seconds(args.pid) - backend_cpu_before
    client_cpu = time.process_time() - client_cpu_before
    results = [task.result() for task in tasks]
    connections = [connection for connection, _ in results if connection]
    errors = {}
    for _, error in results:
        if error:
            errors[error] = errors.get(error, 0) + 1
    log(f"{len(connections)} open, {args.count - len(connections)} failed, {open_seconds:.1f} s")

    # Hold them: the backend's memory is read once the handshakes' transient buffers are gone.
    await asyncio.sleep(args.settle)
    held = proc_status(args.pid)

    # A request on a sample (and the last one): the held connections are still served.
    sample = sorted(set(range(0, len(connections), args.probe_every)) | ({len(connections) - 1} if connections else set()))
    request = REQUEST_TEMPLATE.format(device=args.device).encode()
    answers = await asyncio.gather(*(probe(connections[i], request, args.request_timeout) for i in sample))
    probe_failures = [f"connection #{i}: {detail}" for i, (ok, detail) in zip(sample, answers) if not ok]
    after_probe = proc_status(args.pid)

    # Close with close_notify, so the backend sees an orderly end and not 5,000 resets.
    for _, writer in connections:
        writer.close()
    try:
        await asyncio.wait_for(asyncio.gather(*(w.wait_closed() for _, w in connections), return_exceptions=True), 20)
    except asyncio.TimeoutError:
        log("closing took more than 20 s; leaving the rest to the kernel")

    return {
        "attempted": args.count,
        "opened": len(connections),
        "failed": args.count - len(connections),
        "errors": errors,
        "open_seconds": round(open_seconds, 3),
        "handshakes_per_second": round(len(connections) / open_seconds, 1) if open_seconds > 0 else None,
        "backend_cpu_seconds_opening": round(backend_cpu, 2),
        "client_cpu_seconds_opening": round(client_cpu, 2),
        "handshake_p50_ms": round(1000 * percentile(latencies, 0.5), 1) if latencies else None,
        "handshake_p99_ms": round(1000 * percentile(latencies, 0.99), 1) if latencies else None,
        "rss_kib": held["rss_kib"],
        "peak_rss_kib": held["peak_rss_kib"],
        "threads": held["threads"],
        "rss_after_requests_kib": after_probe["rss_kib"],
        "requests_sent": len(sample),
        "requests_ok": len(sample) - len(probe_failures),
        "request_failures": probe_failures,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True, help="the backend's process id, for /proc/PID/status")
    parser.add_argument("--ca", required=True, help="trust for the backend's certificate (root.pem)")
    parser.add_argument("--cert", required=True, help="the device's chain (PEM)")
    parser.add_argument("--key", required=True, help="the device's key (PEM)")
    parser.add_argument("--device", default="tcu-1", help="the device id the requests ask for")
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=100, help="handshakes in flight while opening")
    parser.add_argument("--handshake-timeout", type=float, default=30)
    parser.add_argument("--request-timeout", type=float, default=10)
    parser.add_argument("--probe-every", type=int, default=500)
    parser.add_argument("--settle", type=float, default=2, help="seconds to hold before reading the RSS")
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(main(arguments))), flush=True)
