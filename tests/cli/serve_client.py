#!/usr/bin/python3
# serve_client.py - hostile and well-behaved clients of `ipcbench serve`
# for tests/cli/serve.sh.  Loopback only: ADDR is 127.0.0.1:PORT.
# usage: serve_client.py ADDR CASE [KEY=VALUE...]   (prints the server's answers)
import socket
import struct
import sys
import time


def connect(addr):
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=15)
    return s


def send(s, text):
    b = text.encode()
    s.sendall(struct.pack(">I", len(b)) + b)


def read_n(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("closed")
        b += c
    return b


def recv(s):
    n = struct.unpack(">I", read_n(s, 4))[0]
    return read_n(s, n).decode()


def hello(s, version=1):
    send(s, "hello ipcbench\nversion %d\n" % version)
    return recv(s)


def cell_text(**over):
    keys = [("version", "1"), ("role", "server"), ("transport", "tcp"), ("opt_given", "0"),
            ("opts", " ".join(["0"] * 8)), ("pattern", "pingpong"), ("msg_bytes", "64"),
            ("client_cpu", "-1"), ("server_cpu", "-1"), ("relation", "4"), ("wait", "0"),
            ("warmup", "0"), ("iterations", "100"), ("duration_ns", "0"), ("rate", "0x0p+0"),
            ("timeout_ms", "10000"), ("interval_ns", "0"), ("precision", "0x0p+0"),
            ("min_duration_ns", "0"), ("warmup_ns", "0"), ("run_dir", "-"), ("tag", "-"),
            ("ctl", "-"), ("ctl_bytes", "0"), ("lim_max", "0"), ("lim_unit", "0"),
            ("lim_opts", " ".join(["0"] * 8)), ("parent", "0"), ("clock", "monotonic"),
            ("clock_mult", "0"), ("clock_shift", "0")]
    d = dict(keys)
    d.update(over)
    return "cell\n" + "".join("%s %s\n" % (k, d[k]) for k, _ in keys) + "end\n"


def main():
    addr, case = sys.argv[1], sys.argv[2]
    over = dict(a.split("=", 1) for a in sys.argv[3:])
    s = connect(addr)
    try:
        if case == "version":
            print(hello(s, 9).strip())
        elif case == "garbage":
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            print(recv(s).strip())
        elif case == "oversized":
            hello(s)
            s.sendall(struct.pack(">I", 0x7FFFFFFF) + b"x" * 100)
            print(recv(s).strip())
        elif case == "truncated":
            s.sendall(struct.pack(">I", 100) + b"hello ipc")
            s.close()
        elif case == "notoken":
            print(hello(s).split("\n")[0])
        elif case == "badauth":
            print(hello(s).split(" ")[0])
            send(s, "auth " + "0" * 40 + "\n")
            print(recv(s).strip())
        elif case == "cell":
            hello(s)
            send(s, cell_text(**over))
            print(recv(s).strip().split("\n")[0][:300])
        elif case == "midcell":
            hello(s)
            send(s, cell_text(**over))
            print(recv(s).strip().split("\n")[0][:40])
            s.close()  # vanishes with the server's side waiting in attach
        elif case == "idle":
            print(hello(s).split("\n")[0])
            sys.stdout.flush()
            time.sleep(float(over.get("secs", "3")))
        elif case == "unknown":
            hello(s)
            send(s, "rm -rf /\n")
            print(recv(s).strip())
    except (EOFError, ConnectionResetError, BrokenPipeError) as e:
        print("closed: %s" % e)


main()
