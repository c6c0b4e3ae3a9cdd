#!/usr/bin/env python3
"""TLS and HTTP/1.1 conformance cases for tcu-backend (the mutual-TLS test backend).

Each case sends something precise to a running backend and checks the answer
against the RFC rule named below. One line per case:

    CASE <name> PASS|FAIL <what came back>

then a closing "N passed, N failed" line; the exit code is 0 iff every case passed.

    python3 tls_conformance.py --host 127.0.0.1 --port 8443 \
        --cert PKI/tcu-1/chain.pem --key PKI/tcu-1/key.pem --ca PKI/root.pem \
        [--device tcu-1] [--backend-log FILE] [--case NAME ...] [--list]

--cert/--key are a registered device's chain (leaf + device CA) and P-256 key;
--ca is the root the backend's certificate leads to. With --backend-log (the
file the backend's stdout goes to), the CertificateVerify cases also check that
the backend logged no ACCEPTED line for the test's connection (matched on the
client port in "peer=HOST:PORT").

Needs: tlslite-ng (which brings ecdsa) and cryptography.

The cases
---------
tls13-compat-ccs
    TLS 1.3 ClientHello with a 32-byte legacy_session_id. RFC 8446 4.1.3 and
    D.4 (middlebox compatibility mode): the server echoes the session id and
    sends a dummy change_cipher_spec record right after its ServerHello.
cv-control
    Not a finding: the CertificateVerify cases below replace tlslite's client
    CertificateVerify with their own. This one does so with the honest label
    ecdsa_secp256r1_sha256 (0x0403), in TLS 1.3 and 1.2, and needs HTTP 200:
    so a refusal below is due to the label, not to a broken signature.
tls13-cv-label-p384, tls13-cv-label-p521
    The client authenticates with its P-256 key but labels its CertificateVerify
    ecdsa_secp384r1_sha384 (0x0503) / ecdsa_secp521r1_sha512 (0x0603), signing
    with SHA-384 / SHA-512. In TLS 1.3 the ECDSA schemes fix the curve
    (RFC 8446 4.2.3), so the label does not fit the key: a fatal alert is
    required (illegal_parameter expected; any fatal alert passes and is named),
    never an HTTP answer.
tls13-cv-sha1, tls13-cv-sha224
    CertificateVerify labelled ecdsa_sha1 (0x0203) / sha224+ecdsa (0x0303),
    signed with that hash. RFC 8446 4.4.3: the scheme MUST be one the
    CertificateRequest offered, and SHA-1 MUST NOT be used in CertificateVerify;
    neither is a TLS 1.3 scheme (4.2.3). A scheme outside the offer is an
    illegal_parameter, not a decrypt_error (the signature is never the issue).
tls13-certreq-schemes
    The server's TLS 1.3 CertificateRequest signature_algorithms must not name
    the SHA-1 or SHA-224 schemes 0x0201 0x0202 0x0203 0x0301 0x0302 0x0303
    (RFC 8446 4.2.3 and 4.4.3: none of them may sign a TLS 1.3 CertificateVerify).
tls12-cv-sha1-labelled-sha224
    TLS 1.2 client CertificateVerify signed over the SHA-1 transcript hash but
    labelled sha224+ecdsa (0x0303): the signature cannot verify under the label
    (RFC 5246 7.4.8), or the label is not offered: refused either way.
tls12-cv-sha1
    TLS 1.2 client CertificateVerify labelled and signed ecdsa_sha1 (0x0203):
    refused (RFC 9155 deprecates SHA-1 signatures in TLS 1.2; a server that does
    not offer it in CertificateRequest must not accept it, RFC 5246 7.4.8).
tls12-rsa-kx-only
    TLS 1.2 ClientHello offering only TLS_RSA_WITH_AES_128_CBC_SHA (0x002F) to a
    server with an ECDSA certificate: no acceptable suite, so a handshake_failure
    alert (40) and no ServerHello (RFC 5246 7.4.1.3).
no-common-group
    TLS 1.3 ClientHello whose supported_groups name only an unassigned (0x0A0B)
    and a private-use (0xFE42) group, with a key_share for the first: no
    overlap, so a fatal handshake_failure (or insufficient_security) alert and
    no HelloRetryRequest (RFC 8446 4.1.1; a HelloRetryRequest must name a group
    the client offered, 4.1.4). ffdhe2048 is not used: wolfSSL has it.
sslv2-hello, padding-64k, zero-length-records, many-extensions
    Odd or malformed ClientHellos: an SSLv2-format ClientHello (RFC 5246 E.2);
    a ClientHello with about 64 KiB of padding extension (RFC 7685) fragmented
    over several records; zero-length handshake records between the fragments
    of a ClientHello (RFC 8446 5.1 forbids sending them); 800 distinct unknown
    extension types with 16-48 byte bodies, about 30 KB over two records
    (RFC 8446 4.2: unknown extensions are ignored). Each must be answered
    with a TLS alert (RFC 8446 6 / RFC 5246 7.2) or by going on with the
    handshake (a ServerHello); a TCP reset, a close without an alert, or silence
    for 5 s fails.
http-bare-lf
    After a good mTLS handshake, a request whose lines end in a bare LF gets an
    HTTP response (400 is fine) within 5 s, never silence (RFC 9112 2.2).
http-duplicate-content-length
    POST /v1/devices/ID/telemetry with two different Content-Length headers
    (2 and 7, a body "{}" plus 5 spaces, so either length alone gives a valid
    JSON object): 400, and the device's telemetry_count is unchanged
    (RFC 9112 6.3: an unrecoverable framing error, no guessing).
"""

import argparse
import errno
import os
import random
import re
import socket
import ssl
import struct
import sys
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils as ec_utils
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from tlslite import HandshakeSettings, TLSConnection, X509CertChain, parsePEMKey
from tlslite.constants import CipherSuite
from tlslite.errors import TLSAbruptCloseError, TLSAlert, TLSRemoteAlert
from tlslite.messages import CertificateRequest, CertificateVerify, ServerHello

IO_TIMEOUT = 5.0  # seconds: every wait on the backend is bounded by this

# Record content types, handshake types and the alerts we name.
CCS, ALERT, HANDSHAKE, APPDATA = 20, 21, 22, 23
CLIENT_HELLO, SERVER_HELLO = 1, 2
ALERTS = {
    0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 22: "record_overflow",
    40: "handshake_failure", 42: "bad_certificate", 43: "unsupported_certificate",
    46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca", 50: "decode_error",
    51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security", 80: "internal_error",
    109: "missing_extension", 110: "unsupported_extension", 116: "certificate_required",
}
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")

# Extension types and code points used below.
EXT_SUPPORTED_GROUPS, EXT_SIG_ALGS, EXT_PADDING = 10, 13, 21
EXT_SUPPORTED_VERSIONS, EXT_KEY_SHARE = 43, 51
X25519, UNASSIGNED_GROUP, PRIVATE_USE_GROUP = 0x001D, 0x0A0B, 0xFE42
TLS13_SUITES = [0x1301, 0x1302, 0x1303]
TLS12_ECDSA_SUITES = [0xC02B, 0xC02C, 0xCCA9, 0xC009, 0xC00A]
SIG_ALGS = [0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601]
SHA1_SHA224_SCHEMES = {0x0201, 0x0202, 0x0203, 0x0301, 0x0302, 0x0303}


class Target:
    def __init__(self, args):
        self.host, self.port = args.host, args.port
        self.cert, self.key, self.ca = args.cert, args.key, args.ca
        self.device, self.backend_log = args.device, args.backend_log

    def backend_lines(self, local_port, settle=0.5):
        """The backend's log lines about the connection from local_port (None without a log)."""
        if not self.backend_log:
            return None
        time.sleep(settle)
        pattern = re.compile(r"peer=\S*:%d\b" % local_port)
        with open(self.backend_log, errors="replace") as log:
            return [line.strip() for line in log if pattern.search(line)]


class CaseFailure(Exception):
    pass


# ---------------------------------------------------------------- encoding helpers

def u8(n): return struct.pack("!B", n)
def u16(n): return struct.pack("!H", n)
def u24(n): return struct.pack("!I", n)[1:]
def vec8(b): return u8(len(b)) + b
def vec16(b): return u16(len(b)) + b


def record(ctype, body, version=0x0301):
    return u8(ctype) + u16(version) + vec16(body)


def handshake(htype, body):
    return u8(htype) + u24(len(body)) + body


def ext(etype, data):
    return u16(etype) + vec16(data)


def ext_supported_versions(*versions):
    return ext(EXT_SUPPORTED_VERSIONS, vec8(b"".join(u16(v) for v in versions)))


def ext_groups(groups):
    return ext(EXT_SUPPORTED_GROUPS, vec16(b"".join(u16(g) for g in groups)))


def ext_sig_algs(schemes=SIG_ALGS):
    return ext(EXT_SIG_ALGS, vec16(b"".join(u16(s) for s in schemes)))


def ext_key_share(shares):
    return ext(EXT_KEY_SHARE, vec16(b"".join(u16(g) + vec16(k) for g, k in shares)))


def x25519_share():
    return X25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def client_hello(suites, extensions, session_id=b"", version=0x0303):
    """A ClientHello handshake message (header included)."""
    body = (u16(version) + os.urandom(32) + vec8(session_id)
            + vec16(b"".join(u16(s) for s in suites)) + vec8(b"\x00")
            + vec16(b"".join(extensions)))
    return handshake(CLIENT_HELLO, body)


def tls13_extensions(groups=(X25519,), shares=None):
    """What a TLS 1.3 ClientHello needs for this server to go on with it."""
    if shares is None:
        shares = [(X25519, x25519_share())]
    return [ext_supported_versions(0x0304), ext_groups(groups), ext_key_share(shares), ext_sig_algs()]


def tls13_hello():
    return client_hello(TLS13_SUITES, tls13_extensions(), session_id=os.urandom(32))


def fragment(data, size):
    return [data[i:i + size] for i in range(0, len(data), size)]


# ---------------------------------------------------------------- raw record I/O

class Reply:
    """What the server sent back to raw records: its records, and how the stream ended."""

    def __init__(self):
        self.records = []      # (content type, payload) in order
        self.end = "stopped"   # eof | reset | timeout | stopped (we had seen enough)
        self.send_error = None

    def alerts(self):
        return [(p[0], p[1]) for t, p in self.records if t == ALERT and len(p) >= 2]

    def handshake_messages(self):
        """Plaintext handshake messages: those before the first CCS or encrypted record."""
        data = b""
        for t, p in self.records:
            if t != HANDSHAKE:
                if t in (CCS, APPDATA):
                    break
                continue
            data += p
        msgs = []
        while len(data) >= 4:
            n = int.from_bytes(data[1:4], "big")
            if len(data) < 4 + n:
                break
            msgs.append((data[0], data[4:4 + n]))
            data = data[4 + n:]
        return msgs

    def server_hello(self):
        """(is_hrr, body) of the first ServerHello, or None."""
        for htype, body in self.handshake_messages():
            if htype == SERVER_HELLO:
                return body[2:34] == HRR_RANDOM, body
        return None

    def describe(self):
        parts = []
        sh = self.server_hello()
        if sh:
            is_hrr, body = sh
            sid_len = body[34]
            suite = int.from_bytes(body[35 + sid_len:37 + sid_len], "big")
            exts = server_hello_extensions(body)
            group = exts.get(EXT_KEY_SHARE, b"")[:2]
            parts.append("%s(suite 0x%04X, %s)" % (
                "HelloRetryRequest" if is_hrr else "ServerHello", suite,
                "key_share group 0x%s" % group.hex().upper() if group else "no key_share"))
        for level, desc in self.alerts():
            parts.append("alert %s %d %s" % ("fatal" if level == 2 else "warning", desc, ALERTS.get(desc, "?")))
        if not parts and self.records:
            parts.append("records %s" % [t for t, _ in self.records])
        if self.send_error:
            parts.append("send failed (%s)" % self.send_error)
        ending = {"eof": "close without an alert", "reset": "TCP reset",
                  "timeout": "silence for %.0fs" % IO_TIMEOUT, "stopped": ""}[self.end]
        if ending:
            parts.append(("then " if parts else "") + ending)
        return ", ".join(parts) or "nothing"


def server_hello_extensions(body):
    """{type: data} of a ServerHello (or HelloRetryRequest) body."""
    at = 35 + body[34] + 3  # random, session id, cipher suite, compression method
    data, exts = body[at + 2:], {}
    while len(data) >= 4:
        n = int.from_bytes(data[2:4], "big")
        exts[int.from_bytes(data[:2], "big")] = data[4:4 + n]
        data = data[4 + n:]
    return exts


def connect(target):
    sock = socket.create_connection((target.host, target.port), timeout=IO_TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def exchange(target, chunks, stop=None):
    """Sends the chunks (one write each), then reads records until stop(reply) is true,
    an alert, the end of the stream, or IO_TIMEOUT."""
    reply = Reply()
    sock = connect(target)
    try:
        try:
            for chunk in chunks:
                sock.sendall(chunk)
        except OSError as e:  # the server may close while we still send; read what it said
            reply.send_error = errno.errorcode.get(e.errno, str(e))
        deadline = time.monotonic() + IO_TIMEOUT
        buf = b""
        while True:
            while len(buf) >= 5 and len(buf) >= 5 + int.from_bytes(buf[3:5], "big"):
                n = int.from_bytes(buf[3:5], "big")
                reply.records.append((buf[0], buf[5:5 + n]))
                buf = buf[5 + n:]
                if reply.records[-1][0] == ALERT or (stop and stop(reply)):
                    reply.end = "stopped"
                    return reply
            left = deadline - time.monotonic()
            if left <= 0:
                reply.end = "timeout"
                return reply
            sock.settimeout(left)
            try:
                data = sock.recv(65536)
            except socket.timeout:
                reply.end = "timeout"
                return reply
            except ConnectionResetError:
                reply.end = "reset"
                return reply
            if not data:
                reply.end = "eof"
                return reply
            buf += data
    finally:
        sock.close()


def until_server_hello(reply):
    return reply.server_hello() is not None


# ---------------------------------------------------------------- tlslite-driven handshakes

def load_identity(target):
    chain = X509CertChain()
    with open(target.cert) as f:
        chain.parsePemList(f.read())
    with open(target.key) as f:
        pem = f.read()
    return chain, parsePEMKey(pem, private=True), serialization.load_pem_private_key(pem.encode(), None)


class ProbingConnection(TLSConnection):
    """tlslite's client with two hooks: it keeps the server's CertificateRequest (as sent),
    and, when forge=(scheme, hash name) is set, replaces the client CertificateVerify by one
    labelled `scheme` whose ECDSA signature is made with `hash name` over the real content."""

    def __init__(self, sock, signing_key=None, forge=None):
        TLSConnection.__init__(self, sock)
        self.signing_key, self.forge = signing_key, forge
        self.cert_request_sig_algs = None
        self.server_suite = None
        self.keep_state = False  # see _shutdown

    def _shutdown(self, resumable):
        # After the handshake, a server that refused our CertificateVerify has sent its alert
        # and closed, so our first write can fail (EPIPE) while the alert still waits in the
        # socket. tlslite would tear the record layer down on that error; keep it to read the alert.
        if not self.keep_state:
            TLSConnection._shutdown(self, resumable)

    def _getMsg(self, *args, **kwargs):
        for result in TLSConnection._getMsg(self, *args, **kwargs):
            if isinstance(result, ServerHello):
                self.server_suite = result.cipher_suite
            if isinstance(result, CertificateRequest):
                self.cert_request_sig_algs = list(result.supported_signature_algs)
                # tlslite's TLS 1.2 client gives up unless some RSA scheme is offered,
                # whatever its own key is: add one for it to see (ours is ECDSA anyway).
                if self.version == (3, 3) and (4, 1) not in result.supported_signature_algs:
                    result.supported_signature_algs.append((4, 1))
            yield result

    def _sendMsg(self, msg, *args, **kwargs):
        if isinstance(msg, CertificateVerify) and self.forge:
            msg = self._forged_certificate_verify()
        for result in TLSConnection._sendMsg(self, msg, *args, **kwargs):
            yield result

    def _forged_certificate_verify(self):
        scheme, hash_name = self.forge
        algorithm = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
                     "sha384": hashes.SHA384, "sha512": hashes.SHA512}[hash_name]()
        if self.version == (3, 4):
            prf = "sha384" if self.server_suite in CipherSuite.sha384PrfSuites else "sha256"
            content = (b"\x20" * 64 + b"TLS 1.3, client CertificateVerify\x00"
                       + bytes(self._handshake_hash.digest(prf)))
            signature = self.signing_key.sign(content, ec.ECDSA(algorithm))
        else:  # TLS 1.2: the signature is over the transcript, hashed with hash_name
            digest = bytes(self._certificate_verify_handshake_hash.digest(hash_name))
            signature = self.signing_key.sign(digest, ec.ECDSA(ec_utils.Prehashed(algorithm)))
        cv = CertificateVerify(self.version)
        cv.create(bytearray(signature), (scheme >> 8, scheme & 0xFF))
        return cv


def tls_settings(version):
    settings = HandshakeSettings()
    settings.minVersion = settings.maxVersion = version
    # tlslite would otherwise compress its Certificate, which this server never offered.
    settings.certificate_compression_send = []
    settings.certificate_compression_receive = []
    return settings


def forged_cv_outcome(target, version, scheme, hash_name):
    """Full handshake with a forged client CertificateVerify, then a GET.
    Returns ((level, description) of the server's alert or None, what happened, backend log lines)."""
    chain, key, signing_key = load_identity(target)
    sock = connect(target)
    local_port = sock.getsockname()[1]
    conn = ProbingConnection(sock, signing_key, forge=(scheme, hash_name))
    alert, what = None, None
    try:
        conn.handshakeClientCert(chain, key, settings=tls_settings(version))
        conn.keep_state = True
        try:
            conn.write(b"GET /v1/devices/%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % target.device.encode())
        except OSError:
            pass  # the answer, or the alert, is read below
        conn.keep_state = False
        answer = conn.read(max=200)
        status = re.match(rb"HTTP/1\.[01] (\d{3})", bytes(answer))
        what = ("handshake done, HTTP %s" % status.group(1).decode() if status else
                "handshake done, then %r" % bytes(answer[:40]) if answer else "handshake done, then close")
    except TLSRemoteAlert as e:
        alert = (e.level, e.description)
        what = "alert %s %d %s" % ("fatal" if e.level == 2 else "warning", e.description,
                                  ALERTS.get(e.description, "?"))
    except TLSAbruptCloseError:
        what = "close without an alert"
    except ConnectionResetError:
        what = "TCP reset"
    except socket.timeout:
        what = "silence for %.0fs" % IO_TIMEOUT
    except (TLSAlert, OSError) as e:
        what = "client side: %r" % e
    finally:
        sock.close()
    return alert, what, target.backend_lines(local_port)


def check_forged_cv(target, version, scheme, hash_name, require=None):
    alert, what, log = forged_cv_outcome(target, version, scheme, hash_name)
    detail = what
    if log is not None:
        detail += "; backend: " + (" | ".join(log) if log else "(no line)")
    if log and any(line.startswith("ACCEPTED") for line in log):
        raise CaseFailure("backend accepted the connection: " + detail)
    if alert is None or alert[0] != 2:
        raise CaseFailure("no fatal alert: " + detail)
    if require is not None and alert[1] != require:
        raise CaseFailure("expected %s (%d): %s" % (ALERTS[require], require, detail))
    return detail


# ---------------------------------------------------------------- HTTP over mTLS (Python's ssl)

def mtls_socket(target):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(target.ca)
    ctx.load_cert_chain(target.cert, target.key)
    return ctx.wrap_socket(connect(target))


def http_exchange(target, request):
    """Sends raw request bytes after a good mTLS handshake; returns (status or None, head, body, how it ended)."""
    sock = mtls_socket(target)
    try:
        sock.sendall(request)
        deadline = time.monotonic() + IO_TIMEOUT
        data, ended = b"", "eof"
        while True:
            head_end = data.find(b"\r\n\r\n")
            if head_end >= 0:
                m = re.search(rb"(?im)^content-length:\s*(\d+)", data[:head_end])
                if len(data) >= head_end + 4 + (int(m.group(1)) if m else 0):
                    ended = "complete"
                    break
            left = deadline - time.monotonic()
            if left <= 0:
                ended = "timeout"
                break
            sock.settimeout(left)
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                ended = "timeout"
                break
            except (ConnectionResetError, ssl.SSLError) as e:
                ended = "error %r" % e
                break
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    head, _, body = data.partition(b"\r\n\r\n")
    return (int(m.group(1)) if m else None), head, body, ended


def telemetry_count(target):
    status, _, body, _ = http_exchange(
        target, b"GET /v1/devices/%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % target.device.encode())
    m = re.search(rb'"telemetry_count"\s*:\s*(\d+)', body)
    if status != 200 or not m:
        raise CaseFailure("cannot read telemetry_count (GET answered %s %r)" % (status, body[:80]))
    return int(m.group(1))


# ---------------------------------------------------------------- the cases

def case_tls13_compat_ccs(target):
    session_id = os.urandom(32)
    hello = client_hello(TLS13_SUITES, tls13_extensions(), session_id=session_id)
    # Read until the first encrypted record (or a CCS): the CCS must come before it.
    reply = exchange(target, [record(HANDSHAKE, hello)],
                     stop=lambda r: any(t in (CCS, APPDATA) for t, _ in r.records))
    sh = reply.server_hello()
    if not sh or sh[0]:
        raise CaseFailure("no ServerHello: " + reply.describe())
    body = sh[1]
    echoed = body[35:35 + body[34]]
    types = [t for t, _ in reply.records]
    after_sh = types[types.index(HANDSHAKE) + 1:]
    if echoed != session_id:
        raise CaseFailure("legacy_session_id not echoed (%d bytes back)" % len(echoed))
    if not after_sh or after_sh[0] != CCS:
        raise CaseFailure("no change_cipher_spec after ServerHello; record types %s, %s" % (types, reply.describe()))
    return "ServerHello echoes the session id, then change_cipher_spec; record types %s" % types


def case_cv_control(target):
    """The forging path itself, with an honest label (ecdsa_secp256r1_sha256, signed with SHA-256):
    must be accepted in TLS 1.3 and 1.2, so the refusals in the cases below are about the label alone."""
    results = []
    for version, name in (((3, 4), "TLS 1.3"), ((3, 3), "TLS 1.2")):
        alert, what, log = forged_cv_outcome(target, version, 0x0403, "sha256")
        if alert or not what.endswith("HTTP 200"):
            raise CaseFailure("%s: an honest CertificateVerify was not accepted: %s; backend: %s" % (name, what, log))
        results.append("%s %s" % (name, what))
    return "; ".join(results)


def case_tls13_cv_label_p384(target):
    return check_forged_cv(target, (3, 4), 0x0503, "sha384")


def case_tls13_cv_label_p521(target):
    return check_forged_cv(target, (3, 4), 0x0603, "sha512")


def case_tls13_cv_sha1(target):
    return check_forged_cv(target, (3, 4), 0x0203, "sha1", require=47)


def case_tls13_cv_sha224(target):
    return check_forged_cv(target, (3, 4), 0x0303, "sha224", require=47)


def case_tls13_certreq_schemes(target):
    chain, key, _ = load_identity(target)
    sock = connect(target)
    conn = ProbingConnection(sock)
    try:
        conn.handshakeClientCert(chain, key, settings=tls_settings((3, 4)))
    except (TLSAlert, OSError) as e:
        if conn.cert_request_sig_algs is None:
            raise CaseFailure("no CertificateRequest seen: %r" % e)
    finally:
        sock.close()
    if conn.cert_request_sig_algs is None:
        raise CaseFailure("the server sent no CertificateRequest")
    offered = [(h << 8) | s for h, s in conn.cert_request_sig_algs]
    listed = " ".join("%04X" % s for s in offered)
    bad = [s for s in offered if s in SHA1_SHA224_SCHEMES]
    if bad:
        raise CaseFailure("offers SHA-1/SHA-224 schemes %s in [%s]" % (" ".join("%04X" % s for s in bad), listed))
    return "signature_algorithms [%s]" % listed


def case_tls12_cv_sha1_labelled_sha224(target):
    return check_forged_cv(target, (3, 3), 0x0303, "sha1")


def case_tls12_cv_sha1(target):
    return check_forged_cv(target, (3, 3), 0x0203, "sha1")


def case_tls12_rsa_kx_only(target):
    hello = client_hello([0x002F], [ext_sig_algs()])
    reply = exchange(target, [record(HANDSHAKE, hello)], stop=until_server_hello)
    if reply.server_hello():
        raise CaseFailure("answered with a ServerHello: " + reply.describe())
    if (2, 40) not in reply.alerts():
        raise CaseFailure("expected fatal handshake_failure (40): " + reply.describe())
    return reply.describe()


def case_no_common_group(target):
    # Unassigned and private-use code points: no server has them. (ffdhe2048 would not do:
    # wolfSSL implements it and rightly answers with a ServerHello.)
    shares = [(UNASSIGNED_GROUP, os.urandom(32))]
    exts = tls13_extensions(groups=(UNASSIGNED_GROUP, PRIVATE_USE_GROUP), shares=shares)
    hello = client_hello(TLS13_SUITES, exts, session_id=os.urandom(32))
    reply = exchange(target, [record(HANDSHAKE, hello)], stop=until_server_hello)
    if reply.server_hello():
        raise CaseFailure("answered with a %s" % reply.describe())
    fatal = [d for level, d in reply.alerts() if level == 2]
    if not fatal or fatal[0] not in (40, 71):
        raise CaseFailure("expected fatal handshake_failure (40) or insufficient_security (71): " + reply.describe())
    return reply.describe()


def malformed_verdict(reply):
    """An alert, or a handshake that goes on, passes; a reset, a bare close or silence fails."""
    if reply.alerts():
        return reply.describe()
    if reply.server_hello():
        return "handshake proceeds: " + reply.describe()
    raise CaseFailure(reply.describe())


def case_sslv2_hello(target):
    suites = TLS12_ECDSA_SUITES + [0xC013, 0x002F]
    body = (u8(CLIENT_HELLO) + u16(0x0303) + u16(3 * len(suites)) + u16(0) + u16(32)
            + b"".join(b"\x00" + u16(s) for s in suites) + os.urandom(32))
    v2_record = u16(0x8000 | len(body)) + body
    return malformed_verdict(exchange(target, [v2_record], stop=until_server_hello))


def case_padding_64k(target):
    exts = tls13_extensions()
    room = 65535 - sum(len(e) for e in exts) - 4 - 64  # the extensions block must fit its 16-bit length
    hello = client_hello(TLS13_SUITES, exts + [ext(EXT_PADDING, bytes(room))], session_id=os.urandom(32))
    records = [record(HANDSHAKE, f) for f in fragment(hello, 16384)]
    return "%d-byte ClientHello in %d records: %s" % (
        len(hello), len(records), malformed_verdict(exchange(target, records, stop=until_server_hello)))


def case_zero_length_records(target):
    hello = tls13_hello()
    parts = fragment(hello, (len(hello) + 2) // 3)
    records = []
    for i, part in enumerate(parts):
        if i:
            records.append(record(HANDSHAKE, b""))
        records.append(record(HANDSHAKE, part))
    return "%d fragments, %d empty records: %s" % (
        len(parts), len(parts) - 1,
        malformed_verdict(exchange(target, [b"".join(records)], stop=until_server_hello)))


def case_many_extensions(target):
    known = {0, 1, 5, 10, 11, 13, 16, 18, 21, 23, 27, 35, 41, 42, 43, 44, 45, 47, 49, 50, 51, 57, 0xFF01}
    grease = {0x0A0A + 0x1010 * i for i in range(16)}
    rng = random.Random(8446)
    types = rng.sample(sorted(set(range(60, 0xFF00)) - known - grease), 800)
    unknown = [ext(t, bytes(rng.randrange(256) for _ in range(rng.randrange(16, 49)))) for t in types]
    hello = client_hello(TLS13_SUITES, tls13_extensions() + unknown, session_id=os.urandom(32))
    records = [record(HANDSHAKE, f) for f in fragment(hello, 16384)]
    return "%d unknown extensions, %d-byte ClientHello in %d records: %s" % (
        len(unknown), len(hello), len(records), malformed_verdict(exchange(target, records, stop=until_server_hello)))


def case_http_bare_lf(target):
    request = b"GET /v1/devices/%s HTTP/1.1\nHost: x\n\n" % target.device.encode()
    status, head, _, ended = http_exchange(target, request)
    if status is None:
        raise CaseFailure("no HTTP response within %.0fs (%s, got %r)" % (IO_TIMEOUT, ended, head[:60]))
    return "HTTP %d" % status


def case_http_duplicate_content_length(target):
    before = telemetry_count(target)
    body = b"{}     "  # "{}" alone (length 2) and with the spaces (length 7) are both JSON objects
    request = (b"POST /v1/devices/%s/telemetry HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Content-Length: 7\r\nContent-Length: 2\r\nConnection: close\r\n\r\n" % target.device.encode()) + body
    status, head, _, ended = http_exchange(target, request)
    after = telemetry_count(target)
    detail = "HTTP %s, telemetry_count %d -> %d" % (status, before, after)
    if status != 400:
        raise CaseFailure("expected 400: " + detail + ("" if status else " (%s)" % ended))
    if after != before:
        raise CaseFailure("telemetry was stored: " + detail)
    return detail


CASES = [
    ("tls13-compat-ccs", case_tls13_compat_ccs),
    ("cv-control", case_cv_control),
    ("tls13-cv-label-p384", case_tls13_cv_label_p384),
    ("tls13-cv-label-p521", case_tls13_cv_label_p521),
    ("tls13-cv-sha1", case_tls13_cv_sha1),
    ("tls13-cv-sha224", case_tls13_cv_sha224),
    ("tls13-certreq-schemes", case_tls13_certreq_schemes),
    ("tls12-cv-sha1-labelled-sha224", case_tls12_cv_sha1_labelled_sha224),
    ("tls12-cv-sha1", case_tls12_cv_sha1),
    ("tls12-rsa-kx-only", case_tls12_rsa_kx_only),
    ("no-common-group", case_no_common_group),
    ("sslv2-hello", case_sslv2_hello),
    ("padding-64k", case_padding_64k),
    ("zero-length-records", case_zero_length_records),
    ("many-extensions", case_many_extensions),
    ("http-bare-lf", case_http_bare_lf),
    ("http-duplicate-content-length", case_http_duplicate_content_length),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int)
    parser.add_argument("--cert", help="device chain PEM (leaf + device CA)")
    parser.add_argument("--key", help="device private key PEM (P-256)")
    parser.add_argument("--ca", help="root CA PEM the backend's certificate leads to")
    parser.add_argument("--device", default="tcu-1", help="the device id the certificate names (default tcu-1)")
    parser.add_argument("--backend-log", help="the backend's stdout log, to check for ACCEPTED lines")
    parser.add_argument("--case", action="append", metavar="NAME", help="run only this case (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the case names and exit")
    args = parser.parse_args()
    names = [name for name, _ in CASES]
    if args.list:
        print("\n".join(names))
        return 0
    missing = [o for o in ("port", "cert", "key", "ca") if getattr(args, o) is None]
    if missing:
        parser.error("needed: %s" % " ".join("--" + o for o in missing))
    unknown = [n for n in (args.case or []) if n not in names]
    if unknown:
        parser.error("unknown case(s): %s (see --list)" % ", ".join(unknown))
    target = Target(args)
    passed = failed = 0
    for name, run in CASES:
        if args.case and name not in args.case:
            continue
        try:
            verdict, detail = "PASS", run(target)
        except CaseFailure as e:
            verdict, detail = "FAIL", str(e)
        except Exception as e:  # a broken case is a failed case, never a crash of the run
            verdict, detail = "FAIL", "error: %r" % e
        passed += verdict == "PASS"
        failed += verdict == "FAIL"
        print("CASE %s %s %s" % (name, verdict, detail), flush=True)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
