/* ns of CPU per setsockopt(SO_LINGER) and per socket()+close(), thread CPU time, median of 9 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>
#include <unistd.h>
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}
static int cmp(const void *a, const void *b)
{
	double x = *(double *)a, y = *(double *)b;
	return x < y ? -1 : x > y;
}
int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200000, fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct linger l = {1, 0};
	double m[9], k[9];
	for (int r = 0; r < 9; r++) {
		double t0 = now();
		for (int i = 0; i < n; i++)
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		m[r] = (now() - t0) / n;
		t0 = now();
		for (int i = 0; i < n / 4; i++)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		k[r] = (now() - t0) / (n / 4);
	}
	qsort(m, 9, sizeof(double), cmp);
	qsort(k, 9, sizeof(double), cmp);
	printf("so_linger %.1f tcp_nodelay %.1f\n", m[4], k[4]);
	return 0;
}
