#!/usr/bin/env python3
"""A hostile TLS server for the DEVICE (tcu-sim, the TCULink core over wolfSSL).

Each case is one way a server can misbehave; the device must end in the
specific error the case names, within its time limit, with bounded memory.
README.md beside this file lists the cases, what each sends, the RFC rule and
the answer the device must give.

Runner (one line per case, "CASE <name> PASS|FAIL <detail>", then
"N passed, N failed"; exit status 0 only when every case passed):

    python3 hostile_tls_server.py --tcu-sim .build/debug/tcu-sim \
        --pki PKI --device PKI/tcu-1 [--case NAME ...] [--list]

Serve one case to a device you start yourself (prints what the device did):

    python3 hostile_tls_server.py --pki PKI --case NAME --port 24443
    tcu-sim connect --host 127.0.0.1 --port 24443 --device PKI/tcu-1 --send ping

PKI is a folder made by `tcu-pki init` (server.pem, server.key: P-256);
--device is one made by `tcu-pki issue-device` (chain.pem, key.pem, trust.pem).
Needs the `cryptography` package.
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import threading
import time

from cryptography.hazmat.primitives import hashes

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tls_layer import (  # noqa: E402
    ALERT, APPDATA, CERTIFICATE, ENCRYPTED_EXTENSIONS, EXT_KEY_SHARE, EXT_SUPPORTED_VERSIONS,
    HANDSHAKE, HELLO_REQUEST, KEY_UPDATE, NEW_SESSION_TICKET, SECP256R1, SECP384R1, SERVER_HELLO, X25519,
    ClientHello, DeviceAlert, PeerClosed, ServerConnection, ServerCredentials, Tls12Server,
    Tls13Server, alert_name, ext, handshake, record, u8, u16, u24, u32, vec8, vec16, vec24,
)

DEVICE_TIMEOUT_MS = 3000   # the device's handshake (and I/O) time limit in every case
CASE_LIMIT_S = 8.0         # the device process is killed past this: a case that needs it fails
RSS_MARGIN_KB = 8 * 1024   # a case may use at most this much more memory than the honest handshake
FLOOD_SECONDS = 6.0        # endless floods outlast the device's time limit (DEVICE_TIMEOUT_MS) by far
PADDING = 2 ** 14 - 1      # RFC 8446 5.4 padding that makes an empty record cost the device a full decryption


# ---------------------------------------------------------------- cases

class Case:
    def __init__(self, name, function, rule, expect, tls12, finding, device_alert):
        self.name, self.function, self.rule = name, function, rule
        self.expect, self.tls12, self.finding, self.device_alert = expect, tls12, finding, device_alert


CASES = {}


def case(rule, expect, tls12=False, finding=None, device_alert=None):
    """Registers a case. `expect` is what the device must print: "reply: TEXT" for the controls,
    otherwise (reason, wolfSSL code or None) for a line `FAILED: reason ... [wolfSSL code]`.
    `device_alert`: the alert the device must send the server on its way out, where it sends one.
    `finding`: where the device is laxer than the RFC today (the case fails until that is fixed)."""
    def register(function):
        name = function.__name__.replace("_", "-")
        CASES[name] = Case(name, function, rule, expect, tls12, finding, device_alert)
        return function
    return register


# What the C API says for each reason (tcu_status_text, the reason's summary): the firmware image's
# words. It has no wolfSSL code to show, so its runs check the reason only.
SUMMARIES = {
    "tlsLibraryError": "TLS library error",
    "noSharedCipherSuite": "no cipher suite or signature scheme in common with the server",
    "protocolVersionMismatch": "no TLS version in common with the server",
    "peerAlert": "server ended the handshake with an alert",
    "ioTimeout": "timed out waiting for the server",
    "signatureSchemeMismatch": "the server signed the handshake with a scheme its key's curve does not allow",
}


def reply_after_handshake(conn, text=b"hello"):
    """Sends application data, reads the device's line, answers it, closes."""
    conn.send_record(APPDATA, text)
    ctype, payload = conn.read_plain_record()
    while ctype != APPDATA:
        ctype, payload = conn.read_plain_record()
    conn.send_record(ALERT, b"\x01\x00")


def past_server_hello(conn, creds):
    """An honest TLS 1.3 server up to its ServerHello (keys derived): where most cases start to misbehave."""
    server = Tls13Server(conn, creds)
    server.read_client_hello()
    server.server_hello()
    return server


# -- controls: the honest server, so that a refusal below is due to the case's one change

@case("(control) an honest TLS 1.3 server: handshake and one exchange", "reply: hello")
def control_tls13(conn, creds, notes):
    Tls13Server(conn, creds).handshake()
    reply_after_handshake(conn)


@case("(control) an honest TLS 1.2 server (the device allows 1.2 with --tls12)", "reply: hello", tls12=True)
def control_tls12(conn, creds, notes):
    Tls12Server(conn, creds).handshake()
    reply_after_handshake(conn)


# -- malformed handshake messages

@case("RFC 8446 4.1.3: a ServerHello cut short after its random (lengths consistent) -> decode_error",
      ("tlsLibraryError", -328), device_alert=50)
def serverhello_truncated(conn, creds, notes):
    server = Tls13Server(conn, creds)
    server.read_client_hello()
    conn.send_record(HANDSHAKE, handshake(SERVER_HELLO, u16(0x0303) + os.urandom(32)))


@case("RFC 8446 4, 5.1: a handshake header claiming 16 MiB (more than any message may be) -> refused at once",
      ("tlsLibraryError", -404))
def handshake_length_16m(conn, creds, notes):
    Tls13Server(conn, creds).read_client_hello()
    conn.send_record(HANDSHAKE, u8(SERVER_HELLO) + u24(0xFFFFFF) + os.urandom(60))


@case("RFC 8446 4.1.3, 4.2: ServerHello extensions block 40 bytes longer than the message -> decode_error",
      ("tlsLibraryError", -328), device_alert=50)
def serverhello_extensions_overrun(conn, creds, notes):
    server = Tls13Server(conn, creds)
    ch = server.read_client_hello()
    extensions = ext(EXT_SUPPORTED_VERSIONS, u16(0x0304))
    body = (u16(0x0303) + os.urandom(32) + vec8(ch.session_id) + u16(0x1301) + u8(0)
            + u16(len(extensions) + 40) + extensions)
    conn.send_record(HANDSHAKE, handshake(SERVER_HELLO, body))


@case("RFC 8446 4.2.8: a key_share extension whose inner length overruns it (garbage) -> decode_error",
      ("tlsLibraryError", -328), device_alert=50)
def serverhello_key_share_garbage(conn, creds, notes):
    server = Tls13Server(conn, creds)
    ch = server.read_client_hello()
    extensions = ext(EXT_SUPPORTED_VERSIONS, u16(0x0304)) + ext(EXT_KEY_SHARE, u16(SECP256R1) + u16(200) + b"\x04" * 20)
    body = u16(0x0303) + os.urandom(32) + vec8(ch.session_id) + u16(0x1301) + u8(0) + vec16(extensions)
    conn.send_record(HANDSHAKE, handshake(SERVER_HELLO, body))


@case("RFC 8446 4.3.1, 4.2: EncryptedExtensions holding garbage (an extension longer than the block) -> decode_error",
      ("tlsLibraryError", -328), device_alert=50)
def encrypted_extensions_garbage(conn, creds, notes):
    server = past_server_hello(conn, creds)
    conn.send_handshake(ENCRYPTED_EXTENSIONS, vec16(u16(0x0A0A) + u16(500) + os.urandom(30)))


# -- out-of-order handshake messages (RFC 8446 4: unexpected_message)

@case("RFC 8446 4: Certificate as the first message, before any ServerHello -> unexpected_message",
      ("tlsLibraryError", -373), device_alert=10)
def certificate_before_serverhello(conn, creds, notes):
    Tls13Server(conn, creds).read_client_hello()
    entries = b"".join(vec24(der) + vec16(b"") for der in creds.chain)
    conn.send_record(HANDSHAKE, handshake(CERTIFICATE, vec8(b"") + vec24(entries)))


@case("RFC 8446 4.4.4: Finished right after EncryptedExtensions, before Certificate -> unexpected_message",
      ("tlsLibraryError", -373), device_alert=10)
def finished_before_certificate(conn, creds, notes):
    server = past_server_hello(conn, creds)
    server.encrypted_extensions()
    server.finished()  # a Finished whose MAC is right for the transcript so far


@case("RFC 8446 4.3.1: EncryptedExtensions twice -> unexpected_message",
      ("tlsLibraryError", -373), device_alert=10)
def encrypted_extensions_twice(conn, creds, notes):
    server = past_server_hello(conn, creds)
    server.encrypted_extensions()
    server.encrypted_extensions()


@case("RFC 8446 4.6.3: a KeyUpdate before the server's Finished -> unexpected_message",
      ("tlsLibraryError", -373), device_alert=10)
def keyupdate_before_finished(conn, creds, notes):
    server = past_server_hello(conn, creds)
    server.encrypted_extensions()
    server.key_update()


# -- oversized records

@case("RFC 8446 5.2: a protected record of 2^14 + 257 bytes (over 2^14 + 256) -> record_overflow",
      ("tlsLibraryError", -328), device_alert=22)
def record_overflow_ciphertext(conn, creds, notes):
    server = past_server_hello(conn, creds)
    conn.send_raw(u8(APPDATA) + u16(0x0303) + u16(2 ** 14 + 257) + os.urandom(2 ** 14 + 257))


@case("RFC 8446 5.4: a protected record whose plaintext is 2^14 + 1 bytes (ciphertext within 2^14 + 256) "
      "-> record_overflow", ("tlsLibraryError", -328), device_alert=22)
def record_overflow_plaintext(conn, creds, notes):
    server = past_server_hello(conn, creds)
    conn.send_record(HANDSHAKE, handshake(ENCRYPTED_EXTENSIONS, vec16(ext(0x0A0A, bytes(2 ** 14 - 7)))))


# -- alerts

@case("RFC 8446 6: a storm of warning-level alerts of unknown types (200..254) during the handshake; "
      "the first ends it (wolfSSL alone would stop at its WOLFSSL_ALERT_COUNT_MAX = 5)", ("peerAlert", None),
      device_alert=10)
def alert_storm(conn, creds, notes):
    server = past_server_hello(conn, creds)
    for code in range(200, 255):
        conn.send_record(ALERT, b"\x01" + u8(code))


@case("RFC 8446 6: an unknown alert type MUST be treated as an error alert, whatever its level: one "
      "warning alert of type 200, then an honest handshake -> the device must not connect",
      ("peerAlert", None))
def unknown_warning_alert(conn, creds, notes):
    server = past_server_hello(conn, creds)
    conn.send_record(ALERT, b"\x01\xc8")
    server.server_flight()
    server.read_client_flight()
    reply_after_handshake(conn)


# -- HelloRetryRequest

@case("RFC 8446 4.1.4: a second HelloRetryRequest -> unexpected_message", ("tlsLibraryError", -395))
def hrr_twice(conn, creds, notes):
    server = Tls13Server(conn, creds)
    server.read_client_hello()
    server.hello_retry_request(X25519)
    ch2 = ClientHello(conn.read_handshake())
    notes["second ClientHello shares"] = sorted("%#06x" % g for g in ch2.key_shares())
    server.client_hello = ch2
    server.hello_retry_request(SECP384R1)


@case("RFC 8446 4.1.4: a HelloRetryRequest asking for the group the ClientHello already has a share for "
      "-> illegal_parameter", ("tlsLibraryError", -421), device_alert=47)
def hrr_same_group(conn, creds, notes):
    server = Tls13Server(conn, creds)
    server.read_client_hello()
    server.hello_retry_request(SECP256R1)


# -- negotiation: what the device never offered

@case("RFC 8446 4.1.3: a ServerHello choosing TLS_AES_128_CCM_8_SHA256 (0x1305), never offered -> "
      "illegal_parameter", ("noSharedCipherSuite", -501))
def serverhello_unoffered_suite(conn, creds, notes):
    server = Tls13Server(conn, creds)
    server.read_client_hello()
    server.server_hello(cipher_suite=0x1305)


@case("RFC 8446 4.2.8: a ServerHello key_share on group 0x0A0A, never offered -> illegal_parameter",
      ("tlsLibraryError", -421))
def serverhello_unoffered_group(conn, creds, notes):
    server = Tls13Server(conn, creds)
    server.read_client_hello()
    server.server_hello(share_group=0x0A0A)


@case("RFC 8446 4.2.8: a ServerHello key_share on secp384r1, offered in supported_groups but with no "
      "share in the ClientHello and no HelloRetryRequest -> illegal_parameter", ("tlsLibraryError", -421))
def serverhello_group_without_share(conn, creds, notes):
    server = Tls13Server(conn, creds)
    server.read_client_hello()
    server.server_hello(share_group=SECP384R1, key_share=b"\x04" + os.urandom(96))


# -- CertificateVerify schemes

@case("RFC 8446 4.2.3, 4.4.3: CertificateVerify from a P-256 key labelled ecdsa_secp384r1_sha384 (0x0503), "
      "signed with SHA-384 -> the device must refuse", ("signatureSchemeMismatch", None))
def cv_label_p384(conn, creds, notes):
    server = past_server_hello(conn, creds)
    server.encrypted_extensions()
    server.certificate_request()
    server.certificate()
    server.certificate_verify(scheme=0x0503, hash_algorithm=hashes.SHA384())
    server.finished()
    server.read_client_flight()
    reply_after_handshake(conn)


@case("RFC 8446 4.4.3: CertificateVerify labelled ecdsa_sha1 (0x0203), signed with SHA-1: SHA-1 MUST NOT "
      "be used in CertificateVerify -> the device must refuse", ("tlsLibraryError", -173), device_alert=51)
def cv_sha1(conn, creds, notes):
    server = past_server_hello(conn, creds)
    server.encrypted_extensions()
    server.certificate_request()
    server.certificate()
    server.certificate_verify(scheme=0x0203, hash_algorithm=hashes.SHA1())
    server.finished()
    server.read_client_flight()
    reply_after_handshake(conn)


# -- after the handshake

@case("RFC 8446 4.6.3: after the device's request, an endless flood of KeyUpdate messages and no data: "
      "its read must give up at its time limit, without growing -> ioTimeout", ("ioTimeout", None))
def keyupdate_flood(conn, creds, notes):
    server = Tls13Server(conn, creds)
    server.handshake()
    wait_for_request(server)
    def next_key_update():
        sealed = conn.write_keys.seal(HANDSHAKE, handshake(KEY_UPDATE, u8(0)), padding=PADDING - 5)
        conn.write_keys = conn.write_keys.updated()
        return sealed
    notes["sent"] = flood(conn, next_key_update)


@case("RFC 8446 4.6.3: KeyUpdate with request_update = 2 (neither 0 nor 1) -> illegal_parameter",
      ("tlsLibraryError", -425), device_alert=47)
def keyupdate_bad_value(conn, creds, notes):
    server = Tls13Server(conn, creds)
    server.handshake()
    conn.send_handshake(KEY_UPDATE, u8(2), in_transcript=False)


@case("RFC 8446 5.1: zero-length handshake records before the ServerHello (MUST NOT be sent) -> "
      "unexpected_message", ("tlsLibraryError", -341))
def zero_length_handshake_records(conn, creds, notes):
    Tls13Server(conn, creds).read_client_hello()
    conn.send_raw(record(HANDSHAKE, b"") * 100)


@case("RFC 8446 5.4: a protected handshake record with zero-length content (MUST be refused with "
      "unexpected_message), then an honest handshake", ("tlsLibraryError", -404))
def zero_length_protected_handshake(conn, creds, notes):
    server = past_server_hello(conn, creds)
    conn.send_record(HANDSHAKE, b"")
    server.server_flight()
    server.read_client_flight()
    reply_after_handshake(conn)


@case("RFC 8446 5.1, 5.4: after the device's request, an endless flood of empty application-data records "
      "(each legal alone): its read must give up at its time limit, without growing -> ioTimeout",
      ("ioTimeout", None))
def zero_length_appdata_flood(conn, creds, notes):
    server = Tls13Server(conn, creds)
    server.handshake()
    wait_for_request(server)
    notes["sent"] = flood(conn, lambda: conn.write_keys.seal(APPDATA, b"", padding=PADDING))


# -- TLS 1.2 renegotiation

@case("RFC 5246 7.4.1.1, RFC 5746: HelloRequest after a TLS 1.2 handshake: the device must not "
      "renegotiate (no_renegotiation warning, or ignore), the exchange goes on", "reply: hello", tls12=True)
def tls12_hello_request(conn, creds, notes):
    Tls12Server(conn, creds).handshake()
    conn.send_handshake(HELLO_REQUEST, b"", in_transcript=False)
    conn.send_record(APPDATA, b"hello")
    seen = conn.observe(1.0)
    notes["device after HelloRequest"] = seen
    if any(r.startswith("handshake") for r in seen["records"]):
        notes["failure"] = "the device answered the HelloRequest with a handshake message"
    conn.send_record(ALERT, b"\x01\x00")


@case("RFC 5246 7.4, 7.4.1.1: after HelloRequest, a ServerHello the device never asked for (no "
      "ClientHello) -> unexpected_message", ("tlsLibraryError", -395), tls12=True)
def tls12_unsolicited_serverhello(conn, creds, notes):
    server = Tls12Server(conn, creds)
    server.handshake()
    conn.send_handshake(HELLO_REQUEST, b"", in_transcript=False)
    body = u16(0x0303) + os.urandom(32) + vec8(b"") + u16(0xC02B) + u8(0)
    conn.send_handshake(SERVER_HELLO, body, in_transcript=False)


@case("RFC 8446 4.1.3: a TLS 1.2 ServerHello whose random ends in DOWNGRD\\x01 to a client that offered "
      "TLS 1.3 -> illegal_parameter", ("protocolVersionMismatch", -326), tls12=True,
      device_alert=47)
def tls12_downgrade_sentinel(conn, creds, notes):
    ClientHello(conn.read_handshake())
    random = os.urandom(24) + b"DOWNGRD\x01"
    conn.send_handshake(SERVER_HELLO, u16(0x0303) + random + vec8(b"") + u16(0xC02B) + u8(0))


def wait_for_request(server):
    """Confirms the device's certificate with a NewSessionTicket (no data, so that the device's next
    read waits on the server) and reads the device's request."""
    ticket = u32(600) + os.urandom(4) + vec8(b"\x00") + vec16(os.urandom(32)) + vec16(b"")
    server.conn.send_handshake(NEW_SESSION_TICKET, ticket, in_transcript=False)
    ctype, _ = server.conn.read_plain_record()
    while ctype != APPDATA:
        ctype, _ = server.conn.read_plain_record()


def flood(conn, next_record):
    """Sends records from next_record() until FLOOD_SECONDS pass or the device stops reading, in 64 KiB
    writes so that the device always has more waiting; returns how many records went out."""
    sent, deadline = 0, time.monotonic() + FLOOD_SECONDS
    conn.sock.settimeout(1.0)
    batch, size = [], 0
    try:
        while time.monotonic() < deadline:
            batch.append(next_record())
            size += len(batch[-1])
            if size >= 65536:
                conn.send_raw(b"".join(batch))
                sent, batch, size = sent + len(batch), [], 0
    except OSError:
        pass
    return sent


# ---------------------------------------------------------------- one case against one device run

class Server(threading.Thread):
    """Accepts one connection and plays one case on it, then watches what the device does."""

    def __init__(self, case, creds, listener, accept_timeout=CASE_LIMIT_S, io_timeout=5.0):
        super().__init__(daemon=True)
        self.case, self.creds, self.listener = case, creds, listener
        self.accept_timeout, self.io_timeout = accept_timeout, io_timeout
        self.notes = {}

    def run(self):
        self.listener.settimeout(self.accept_timeout)
        try:
            sock, _ = self.listener.accept()
        except OSError as error:
            self.notes["server"] = "no connection (%s)" % error
            return
        conn = ServerConnection(sock, self.io_timeout)
        try:
            self.case.function(conn, self.creds, self.notes)
            self.notes.setdefault("server", "script done")
        except DeviceAlert as alert:
            self.notes["server"] = str(alert)
            self.notes["device alerts"] = [(alert.level, alert.code)]
        except PeerClosed:
            self.notes["server"] = "device closed the connection"
        except (socket.timeout, TimeoutError):
            self.notes["server"] = "timed out waiting for the device"
        except Exception as error:  # the device's answer could not be read: say so, the verdict is the device's
            self.notes["server"] = "%s: %s" % (type(error).__name__, error)
        if "device after HelloRequest" not in self.notes:
            seen = conn.observe(0.5)
            self.notes.setdefault("device alerts", []).extend(seen["alerts"])
        try:
            sock.close()
        except OSError:
            pass


# The device runs under a small Python (no site, no cryptography) that forks it and reports its rusage:
# ru_maxrss taken straight from this process's child would start at this process's own high-water
# mark (exec carries the old address space's peak over, and the child begins as a copy of us).
MEASURE = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
sys.stdout.flush()
print("hostile-maxrss-kib %d" % usage.ru_maxrss, flush=True)
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def run_device(command, limit):
    """Runs the device; returns (exit status or None when killed, output, seconds, its max RSS in KiB)."""
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-S", "-E", "-c", MEASURE] + command, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = process.communicate(timeout=limit)
        status = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        out, _ = process.communicate()
        status = None
    elapsed = time.monotonic() - started
    text = out.decode(errors="replace")
    found = re.search(r"^hostile-maxrss-kib (\d+)$", text, re.M)
    return status, text, elapsed, int(found.group(1)) if found else 0


def device_command(args, port, tls12):
    command = [args.tcu_sim, "connect", "--host", "127.0.0.1", "--port", str(port), "--device", args.device,
               "--timeout-ms", str(DEVICE_TIMEOUT_MS), "--send", "ping"]
    return command + (["--tls12"] if tls12 else [])


def firmware_command(args, port):
    d = args.device
    return [args.firmware, "127.0.0.1", str(port), "localhost", d + "/chain.pem", d + "/key.pem", d + "/trust.pem",
            "ping\n"]


def runs_on_firmware(case):
    """The firmware image offers TLS 1.3 only, and its request waits a fixed 10 s (longer than a flood)."""
    return not case.tls12 and "flood" not in case.name


def expected_text(expect):
    if isinstance(expect, str):
        return expect
    reason, code = expect
    return "FAILED: %s%s" % (reason, "" if code is None else " ... [wolfSSL %d]" % code)


def judge(case, status, output, elapsed, rss, baseline_rss, notes, firmware=False):
    """PASS or FAIL, and why, for one device run."""
    if firmware:
        output = "\n".join(line[len("firmware: "):] for line in output.splitlines() if line.startswith("firmware: "))
    failed_lines = [line for line in output.splitlines() if re.match(r"(connect )?FAILED|reply:", line)]
    got = failed_lines[-1] if failed_lines else "(no FAILED or reply line; status %s)" % status
    problems = []
    if status is None:
        problems.append("device killed after %.1f s" % elapsed)
    if isinstance(case.expect, str):
        text = case.expect.split(":", 1)[1].strip()
        if status != 0 or not re.search(r"^reply:\s+%s$" % re.escape(text), output, re.M):
            problems.append("wanted '%s'" % case.expect)
    elif firmware:
        reason = case.expect[0]
        # the firmware adds the peer's alert to a peerAlert: "(alert 200)"
        pattern = r"^connect FAILED: %s( \(alert \d+\))?$" % re.escape(SUMMARIES[reason])
        if status != 1 or not re.search(pattern, output, re.M):
            problems.append("wanted 'connect FAILED: %s'" % SUMMARIES[reason])
    else:
        reason, code = case.expect
        pattern = r"^FAILED: %s\b" % re.escape(reason) + ("" if code is None else r".*\[wolfSSL %d\]$" % code)
        if status != 1 or not re.search(pattern, output, re.M):
            problems.append("wanted '%s'" % expected_text(case.expect))
    if elapsed > DEVICE_TIMEOUT_MS / 1000 + 2:
        problems.append("took %.1f s (limit %.1f s)" % (elapsed, DEVICE_TIMEOUT_MS / 1000 + 2))
    if baseline_rss is not None and rss > baseline_rss + RSS_MARGIN_KB:
        problems.append("max RSS %d KiB > %d KiB (control + %d)" % (rss, baseline_rss + RSS_MARGIN_KB,
                                                                      RSS_MARGIN_KB))
    want_alert = case.device_alert
    alerts = notes.get("device alerts", [])
    if want_alert is not None and want_alert not in [code for _, code in alerts]:
        problems.append("device did not send %s (sent %s)" % (alert_name(want_alert), alerts or "none"))
    if "failure" in notes:
        problems.append(notes["failure"])
    detail = "%s (%.2f s, max RSS %d KiB%s)" % (
        got, elapsed, rss, ", device alerts " + ", ".join(alert_name(c) for _, c in alerts) if alerts else "")
    if problems:
        detail += ": " + "; ".join(problems)
        if case.finding:
            detail += " [FINDING: %s]" % case.finding
    return not problems, detail


def run_case(case, args, creds, baseline_rss, firmware=False):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    server = Server(case, creds, listener)
    server.start()
    port = listener.getsockname()[1]
    command = firmware_command(args, port) if firmware else device_command(args, port, case.tls12)
    status, output, elapsed, rss = run_device(command, CASE_LIMIT_S)
    server.join(CASE_LIMIT_S)
    listener.close()
    ok, detail = judge(case, status, output, elapsed, rss, baseline_rss, server.notes, firmware)
    if args.verbose:
        detail += "\n    device: %s\n    server: %s" % (output.strip().replace("\n", "\n            "),
                                                        server.notes)
    return ok, detail, rss


def serve_one(case, args, creds):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(1)
    print("serving case %s on 127.0.0.1:%d; the device must end in: %s" % (
        case.name, args.port, expected_text(case.expect)), flush=True)
    server = Server(case, creds, listener, accept_timeout=None)
    server.run()
    print("server side: %s" % server.notes)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pki", help="tcu-pki folder: server.pem and server.key")
    parser.add_argument("--device", help="device folder (chain.pem, key.pem, trust.pem) for the runner")
    parser.add_argument("--tcu-sim", help="the device under test: runs every case against it")
    parser.add_argument("--firmware", help="also run the TLS 1.3 handshake cases against this tcu-firmware image "
                        "(BoardSupport/POSIX/firmware_main.c; it reports the reason only): lines CASE firmware:NAME")
    parser.add_argument("--case", action="append", help="run only this case (repeatable)")
    parser.add_argument("--port", type=int, help="serve --case once on this port instead of running the device")
    parser.add_argument("--list", action="store_true", help="list the cases and their rules")
    parser.add_argument("--verbose", action="store_true", help="show the device's output and the server's notes")
    args = parser.parse_args()

    if args.list:
        for case in CASES.values():
            print("%-32s %s\n%-32s -> %s" % (case.name, case.rule, "", expected_text(case.expect)))
        return 0
    names = args.case or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown or not args.pki:
        parser.error("unknown case %s" % unknown if unknown else "--pki is required")
    creds = ServerCredentials(os.path.join(args.pki, "server.pem"), os.path.join(args.pki, "server.key"))
    if args.port:
        if len(names) != 1:
            parser.error("--port serves exactly one --case")
        serve_one(CASES[names[0]], args, creds)
        return 0
    if not (args.tcu_sim or args.firmware) or not args.device:
        parser.error("the runner needs --tcu-sim and/or --firmware, and --device (or --port to serve one case)")

    started = time.monotonic()
    passed = failed = 0
    for firmware in [False] * bool(args.tcu_sim) + [True] * bool(args.firmware):
        # The honest handshake's memory is the yardstick: a hostile case may add at most RSS_MARGIN_KB.
        control = run_case(CASES["control-tls13"], args, creds, None, firmware)
        for name in names:
            if firmware and not runs_on_firmware(CASES[name]):
                continue
            if name == "control-tls13":
                ok, detail = control[:2]
            else:
                ok, detail = run_case(CASES[name], args, creds, control[2], firmware)[:2]
            label = "firmware:" + name if firmware else name
            print("CASE %s %s %s" % (label, "PASS" if ok else "FAIL", detail), flush=True)
            passed, failed = passed + ok, failed + (not ok)
    print("%d passed, %d failed (%.1f s)" % (passed, failed, time.monotonic() - started))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
