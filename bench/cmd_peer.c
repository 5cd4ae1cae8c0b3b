/*
 * cmd_peer.c - `ipcbench peer`: internal, hidden from the usage.  The
 * program a --peers exec side runs: harness/peer_spawn.c starts it with
 * the cell's control socket on fd 3 (docs/peers.md); `peer --params
 * FILE` is the server a popen client starts, its parameters in FILE.  Run by hand it
 * refuses with exit 2.
 */
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/cmd.h"
#include "harness/harness.h"

int cmd_peer(int argc, char **argv)
{
	struct stat st;
	int type = 0;
	socklen_t len = sizeof(type);

	if (argc == 3 && !strcmp(argv[1], "--params")) { /* a server its client starts (popen) */
		fflush(NULL);
		_exit(peer_main_file(argv[2]));
	}
	if (argc != 1 || fstat(3, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
		die_usage("peer is internal: ipcbench starts it for --peers exec with its control socket on fd 3");
	fflush(NULL);
	_exit(peer_main(3)); /* like a forked side: no exit handlers of the parent's program */
}
