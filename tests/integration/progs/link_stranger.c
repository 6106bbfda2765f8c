/* A stranger on the network: connects to posix-server --listen URL as a
 * nanomsg PAIR peer without the secret.  "forge": sends a request frame
 * straight away (a getpid with cage id 1); "guess": starts the handshake
 * and answers the challenge with a made-up MAC.  Prints the kinds of what
 * came back within 2 s ("A": a handshake step), then "end". */
#include <stdio.h>
#include <string.h>

#include <nanomsg/nn.h>
#include <nanomsg/pair.h>

static void show(int s)
{
	int ms = 2000;
	nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVTIMEO, &ms, sizeof ms);
	char *m;
	int n;
	while ((n = nn_recv(s, &m, NN_MSG, 0)) > 0) {
		printf("%c%s\n", m[0], m[0] == 'A' && n > 1 && m[1] == 4 ? " ok" : "");
		nn_freemsg(m);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int s = nn_socket(AF_SP, NN_PAIR);
	if (s < 0 || nn_connect(s, argv[1]) < 0)
		return 1;
	if (!strcmp(argv[2], "forge")) {
		/* 'Q' + Request{nr=39 (getpid), cage_id=1, tag=1} */
		unsigned char q[] = {'Q', 0x08, 1, 0x10, 1, 0x18, 39};
		nn_send(s, q, sizeof q, 0);
		show(s);
	} else {
		unsigned char a[2 + 32] = {'A', 1};
		nn_send(s, a, sizeof a, 0);
		char *m;
		int ms = 2000;
		nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVTIMEO, &ms, sizeof ms);
		if (nn_recv(s, &m, NN_MSG, 0) > 0) {
			printf("%c\n", m[0]);
			nn_freemsg(m);
		}
		unsigned char mac[2 + 32] = {'A', 3, 0x42};
		nn_send(s, mac, sizeof mac, 0);
		show(s);
	}
	puts("end");
	nn_close(s);
	return 0;
}
