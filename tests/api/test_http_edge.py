"""The HTTP edge: request framing read strictly (no smuggling shapes reach the parser), a deadline
for request heads, a minimum rate for bodies, a cap on connections per client address."""
import json
import re
import socket
import time

import pytest

from conftest import DEMO_CATALOG, Server, new_database

STATUS = "/api/3/action/status_show"


def raw(server, data, timeout=5.0):
    """Send bytes on a new connection; everything the server answers until it closes (or the
    timeout), and whether it closed."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    try:
        s.sendall(data)
        out, closed = b"", False
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                closed = True
                break
            out += chunk
        return out, closed
    finally:
        s.close()


def statuses(answer):
    """The status of each reply (a reply's body may run into the next status line)."""
    return [int(m) for m in re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)]


def alive(server):
    return server.get(STATUS).status_code == 200


BAD = {
    # two different lengths: the bytes after the first length would run as a second request
    "two Content-Length": b"POST " + STATUS.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}"
                          b"GET /api/3/action/site_read HTTP/1.1\r\nHost: x\r\n\r\n",
    "signed Content-Length": b"POST " + STATUS.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                             b"Content-Length: +2\r\n\r\n{}",
    "space before colon": b"POST " + STATUS.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                          b"Transfer-Encoding : chunked\r\nContent-Length: 2\r\n\r\n{}",
    "TE and CL": b"POST " + STATUS.encode() + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                 b"chunked\r\nContent-Length: 7\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "TE not chunked": b"POST " + STATUS.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                      b"Transfer-Encoding: gzip\r\n\r\n{}",
    "TE list": b"POST " + STATUS.encode() + b" HTTP/1.1\r\nHost: x\r\n"
               b"Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "bad chunk size": b"POST " + STATUS.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    "chunk without CRLF": b"POST " + STATUS.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n",
    "folded header": b"GET " + STATUS.encode() + b" HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n",
    "NUL in header": b"GET " + STATUS.encode() + b" HTTP/1.1\r\nHost: x\r\nX-A: 1\x002\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_ambiguous_framing_is_400_and_closed(server, name):
    answer, closed = raw(server, BAD[name])
    assert statuses(answer) == [400], answer[:300]
    assert closed
    assert alive(server)


def test_smuggled_request_never_runs(server):
    """With two Content-Lengths nothing after the head is read as a request."""
    answer, _ = raw(server, BAD["two Content-Length"])
    assert b"site_read" not in answer and answer.count(b"HTTP/1.1 ") == 1


def test_chunk_extension_is_fine(server):
    body = b'{"x": 1}'
    answer, _ = raw(server, b"POST " + STATUS.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                            b"3;name=value\r\n" + body[:3] + b"\r\n5\r\n" + body[3:] +
                            b"\r\n0\r\nX-Trailer: 1\r\n\r\n")
    assert statuses(answer) == [200], answer[:300]
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["success"] is True


def test_chunked_body_reaches_the_action(server):
    body = json.dumps({"id": "A41000000G-000001"}).encode()
    answer, _ = raw(server, b"POST /api/3/action/package_show HTTP/1.1\r\nHost: x\r\n"
                            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                            b"Connection: close\r\n\r\n" +
                            b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
    assert statuses(answer) == [200], answer[:300]
    assert b"A41000000G-000001" in answer


def test_expect_continue_with_chunked_body(server):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        s.sendall(b"POST " + STATUS.encode() + b" HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                  b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        assert s.recv(1000).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        s.sendall(b"2\r\n{}\r\n0\r\n\r\n")
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        assert statuses(out) == [200]
    finally:
        s.close()


def test_pipelined_requests_still_answered(server):
    req = b"GET " + STATUS.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    answer, _ = raw(server, req + req + req[:-2] + b"Connection: close\r\n\r\n")
    assert statuses(answer) == [200, 200, 200]


def test_oversized_chunked_body_is_413(cluster):
    srv = Server(new_database(cluster), "--max-body-size", "100")
    try:
        answer, closed = raw(srv, b"POST " + STATUS.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                                  b"Transfer-Encoding: chunked\r\n\r\n50\r\n" + b"x" * 80 +
                                  b"\r\n50\r\n" + b"x" * 80 + b"\r\n0\r\n\r\n")
        assert statuses(answer) == [413] and closed
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def strict(cluster):
    """A server with short deadlines and a cap of 2 connections per address."""
    srv = Server(new_database(cluster, DEMO_CATALOG), "--header-timeout", "2",
                 "--body-min-rate", "200", "--max-conns-per-ip", "2")
    yield srv
    srv.stop()


def test_slow_head_is_cut(strict):
    """One header byte at a time keeps nothing open past --header-timeout."""
    s = socket.create_connection(("127.0.0.1", strict.port), timeout=10)
    t0 = time.time()
    closed = False
    try:
        s.sendall(b"GET " + STATUS.encode() + b" HTTP/1.1\r\n")
        for _ in range(40):
            time.sleep(0.25)
            try:
                s.sendall(b"X")
                s.settimeout(0.01)
                if s.recv(100) == b"":
                    closed = True
                    break
            except socket.timeout:
                pass
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
    finally:
        s.close()
    assert closed and time.time() - t0 < 8
    assert "request head not received within --header-timeout" in strict.log_text()


def test_silent_connection_is_cut(strict):
    answer, closed = raw(strict, b"", timeout=8)
    assert closed and answer == b""


def test_slow_body_is_cut(strict):
    s = socket.create_connection(("127.0.0.1", strict.port), timeout=10)
    t0 = time.time()
    closed = False
    try:
        s.sendall(b"POST " + STATUS.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: 100000\r\n\r\n")
        for _ in range(40):
            time.sleep(0.25)
            try:
                s.sendall(b"x" * 10)  # 40 bytes/s, under the 200 asked for
                s.settimeout(0.01)
                if s.recv(100) == b"":
                    closed = True
                    break
            except socket.timeout:
                pass
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
    finally:
        s.close()
    assert closed and time.time() - t0 < 9
    assert "request body slower than --body-min-rate" in strict.log_text()


def test_fast_enough_body_is_read(strict):
    body = b'{"a": "' + b"x" * 3000 + b'"}'
    s = socket.create_connection(("127.0.0.1", strict.port), timeout=10)
    try:
        s.sendall(b"POST " + STATUS.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body))
        for i in range(0, len(body), 500):  # ~1,000 bytes/s after the grace
            s.sendall(body[i:i + 500])
            time.sleep(0.5)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        assert statuses(out) == [200]
    finally:
        s.close()


def test_connections_per_address_capped(strict):
    keep = [socket.create_connection(("127.0.0.1", strict.port), timeout=5) for _ in range(2)]
    try:
        time.sleep(0.2)
        for path, marker in ((STATUS, b'"__type"'), ("/api/v1/rest/group", b"ER0500")):
            answer, closed = raw(strict, b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            assert statuses(answer) == [503], answer[:300]
            assert closed and marker in answer
            assert b"too many connections" in answer
    finally:
        for s in keep:
            s.close()
    time.sleep(0.3)
    answer, _ = raw(strict, b"GET " + STATUS.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                            b"Connection: close\r\n\r\n")
    assert statuses(answer) == [200]
