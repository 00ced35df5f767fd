// Loader for exp.bpf.c. Attaches the selected programs, waits for SIGINT/SIGTERM
// (or --max-secs), then prints counters and per-program stats.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <fcntl.h>
#include <sched.h>
#include <errno.h>
#include <getopt.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <linux/types.h>
struct trk {
	__u32 flags, so_cpu, tp_cpu, so_old_new;
	__u64 so_pid_tgid, so_ts, tp_ts;
	__u32 raw_inum, raw_proto;
	__u32 so_pcount, pad;
	char so_comm[16];
};
struct info {
	__u64 pid_tgid, uid_gid, cgid, anc1, anc2, cookie, netns_cookie;
	__u32 lport, rport, rip4, lip4, family, pad;
	char comm[16];
};
#include "exp.skel.h"
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
static volatile sig_atomic_t stop;
static void onsig(int s)
{
	(void)s;
	stop = 1;
}

static void progstat(const char *name, struct bpf_program *p)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len)) {
		perror("info");
		return;
	}
	printf("prog %s id=%u run_cnt=%llu run_time_ns=%llu ns_per_run=%.1f "
	       "recursion_misses=%llu\n",
	       name, info.id, (unsigned long long)info.run_cnt,
	       (unsigned long long)info.run_time_ns,
	       info.run_cnt ? (double)info.run_time_ns / info.run_cnt : 0.0,
	       (unsigned long long)info.recursion_misses);
}

int main(int argc, char **argv)
{
	const char *ns = "hoc", *cg = "/sys/fs/cgroup/unified", *sfpin = NULL;
	int tp = 0, tp2 = 0, so = 0, map = 0, clr = 0, maxs = 600;
	static struct option lo[] = {{"netns", 1, 0, 'n'},
				     {"cgroup", 1, 0, 'c'},
				     {"tp", 0, 0, 't'},
				     {"tp2", 0, 0, '2'},
				     {"sockops", 0, 0, 's'},
				     {"map", 0, 0, 'm'},
				     {"clear", 0, 0, 'x'},
				     {"sf-pin", 1, 0, 'f'},
				     {"max-secs", 1, 0, 'T'},
				     {"track", 0, 0, 'k'},
				     {0}};
	int trk = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			ns = optarg;
			break;
		case 'c':
			cg = optarg;
			break;
		case 't':
			tp = 1;
			break;
		case '2':
			tp2 = 1;
			break;
		case 's':
			so = 1;
			break;
		case 'm':
			map = 1;
			break;
		case 'x':
			clr = 1;
			break;
		case 'f':
			sfpin = optarg;
			break;
		case 'T':
			maxs = atoi(optarg);
			break;
		case 'k':
			trk = 1;
			break;
		default:
			return 2;
		}
	}
	char nspath[256];
	snprintf(nspath, sizeof nspath, "/run/netns/%s", ns);
	struct stat st;
	if (stat(nspath, &st)) {
		perror(nspath);
		return 1;
	}
	int nsfd = open(nspath, O_RDONLY), self = open("/proc/self/ns/net", O_RDONLY);
	if (setns(nsfd, CLONE_NEWNET)) {
		perror("setns");
		return 1;
	}
	int s = socket(AF_INET, SOCK_STREAM, 0);
	__u64 cookie = 0;
	socklen_t cl = sizeof cookie;
	if (getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &cl)) {
		perror("SO_NETNS_COOKIE");
		return 1;
	}
	close(s);
	setns(self, CLONE_NEWNET);
	close(self);
	close(nsfd);
	printf("netns %s inum=%lu cookie=%llu\n", ns, (unsigned long)st.st_ino,
	       (unsigned long long)cookie);

	struct exp_bpf *sk = exp_bpf__open();
	if (!sk)
		return 1;
	sk->rodata->target_inum = st.st_ino;
	sk->rodata->target_netns_cookie = cookie;
	sk->rodata->do_map = map;
	sk->rodata->clear_on_leave = clr;
	sk->rodata->track = trk;
	bpf_program__set_autoload(sk->progs.tp_state, tp);
	bpf_program__set_autoload(sk->progs.tp_state2, tp2);
	bpf_program__set_autoload(sk->progs.so_prog, so);
	bpf_program__set_autoload(sk->progs.sf_prog, sfpin != NULL);
	if (exp_bpf__load(sk)) {
		fprintf(stderr, "load failed\n");
		return 1;
	}
	struct bpf_link *l1 = NULL, *l2 = NULL, *l3 = NULL;
	if (tp && !(l1 = bpf_program__attach(sk->progs.tp_state))) {
		perror("attach tp");
		return 1;
	}
	if (tp2 && !(l2 = bpf_program__attach(sk->progs.tp_state2))) {
		perror("attach tp2");
		return 1;
	}
	int cgfd = -1;
	if (so) {
		/* BPF_F_ALLOW_MULTI via bpf_link (link-based cgroup attach is multi) */
		cgfd = open(cg, O_RDONLY | O_DIRECTORY);
		if (cgfd < 0) {
			perror(cg);
			return 1;
		}
		if (!(l3 = bpf_program__attach_cgroup(sk->progs.so_prog, cgfd))) {
			perror("attach cgroup");
			return 1;
		}
	}
	if (sfpin) {
		unlink(sfpin);
		if (bpf_obj_pin(bpf_program__fd(sk->progs.sf_prog), sfpin)) {
			perror("pin");
			return 1;
		}
	}
	signal(SIGINT, onsig);
	signal(SIGTERM, onsig);
	printf("READY tp=%d tp2=%d sockops=%d map=%d clear=%d\n", tp, tp2, so, map, clr);
	fflush(stdout);
	/* Poll all bpf links every 5 ms; log appearance/disappearance of raw_tp links on
	 * inet_sock_set_state and of cgroup sock_ops links (CLOCK_MONOTONIC ns, comparable
	 * with bpf_ktime_get_ns) to links.log. */
	FILE *ll = fopen("links.log", "w");
	__u32 prev[256];
	int nprev = 0;
	for (long i = 0; i < (long)maxs * 200 && !stop; i++) {
		__u32 id = 0, cur[256];
		int ncur = 0;
		while (!bpf_link_get_next_id(id, &id) && ncur < 256) {
			int fd = bpf_link_get_fd_by_id(id);
			if (fd < 0)
				continue;
			struct bpf_link_info li = {};
			char tpn[64] = {};
			__u32 l = sizeof li;
			li.raw_tracepoint.tp_name = (unsigned long)tpn;
			li.raw_tracepoint.tp_name_len = sizeof tpn;
			if (!bpf_obj_get_info_by_fd(fd, &li, &l)) {
				int keep = (li.type == BPF_LINK_TYPE_RAW_TRACEPOINT ||
					    li.type == BPF_LINK_TYPE_TRACING ||
					    li.type == BPF_LINK_TYPE_CGROUP);
				if (keep)
					cur[ncur++] = id;
				int seen = 0;
				for (int j = 0; j < nprev; j++)
					if (prev[j] == id)
						seen = 1;
				if (keep && !seen && ll) {
					struct timespec t;
					clock_gettime(CLOCK_MONOTONIC, &t);
					fprintf(ll, "%lld ADD link=%u type=%u prog=%u tp=%s\n",
						(long long)t.tv_sec * 1000000000LL + t.tv_nsec, id,
						li.type, li.prog_id,
						li.type == BPF_LINK_TYPE_RAW_TRACEPOINT ? tpn
											: "-");
				}
			}
			close(fd);
		}
		for (int j = 0; j < nprev; j++) {
			int found = 0;
			for (int k = 0; k < ncur; k++)
				if (cur[k] == prev[j])
					found = 1;
			if (!found && ll) {
				struct timespec t;
				clock_gettime(CLOCK_MONOTONIC, &t);
				fprintf(ll, "%lld DEL link=%u\n",
					(long long)t.tv_sec * 1000000000LL + t.tv_nsec, prev[j]);
			}
		}
		memcpy(prev, cur, sizeof(cur[0]) * ncur);
		nprev = ncur;
		if (ll)
			fflush(ll);
		usleep(5000);
	}
	if (ll)
		fclose(ll);

	struct exp_bpf__bss *b = sk->bss;
#define P(x) printf("%s=%llu\n", #x, (unsigned long long)b->x)
	if (tp) {
		P(tp_calls);
		P(tp_enter);
		P(tp_leave);
		for (int i = 0; i < 16; i++)
			if (b->tp_leave_to[i])
				printf("tp_leave_to[%d]=%llu\n", i,
				       (unsigned long long)b->tp_leave_to[i]);
		if (map) {
			P(map_ins_ok);
			P(map_ins_fail);
			P(map_del_ok);
			P(map_del_miss);
			__u64 k, nk;
			int n = 0, fd = bpf_map__fd(sk->maps.inflight);
			void *pk = NULL;
			while (!bpf_map_get_next_key(fd, pk, &nk) && n < 1000000) {
				n++;
				k = nk;
				pk = &k;
			}
			printf("map_entries_left=%d\n", n);
		}
		for (int i = 0; i < 256; i++)
			if (b->tp_pair[i])
				printf("tp_pair[%d->%d]=%llu\n", i >> 4, i & 15,
				       (unsigned long long)b->tp_pair[i]);
		progstat("tp_state", sk->progs.tp_state);
	}
	if (trk) {
		int fd = bpf_map__fd(sk->maps.trkmap);
		__u64 k, nk;
		void *pk = NULL;
		struct trk v;
		long cnt[8] = {0}, n = 0;
		long pid0 = 0, pidother = 0, cpu[2] = {0};
		FILE *f = fopen("trk_missed.txt", "w");
		while (!bpf_map_get_next_key(fd, pk, &nk) && n < 1000000) {
			n++;
			k = nk;
			pk = &k;
			if (bpf_map_lookup_elem(fd, &k, &v))
				continue;
			cnt[v.flags & 7]++;
			if (f && (v.flags & 3) == 3)
				fprintf(f,
					"HIT cookie=%llu so_cpu=%u so_pid=%llu so_ts=%llu tid=%llu "
					"comm=%.16s pcount=0x%x\n",
					(unsigned long long)k, v.so_cpu,
					(unsigned long long)(v.so_pid_tgid >> 32),
					(unsigned long long)v.so_ts,
					(unsigned long long)(v.so_pid_tgid & 0xffffffff), v.so_comm,
					v.so_pcount);
			if ((v.flags & 3) == 1) {
				if ((v.so_pid_tgid >> 32) == 0)
					pid0++;
				else
					pidother++;
				cpu[v.so_cpu & 1]++;
				if (f)
					fprintf(f,
						"MISS cookie=%llu so_cpu=%u so_pid=%llu so_ts=%llu "
						"old_new=0x%x invoked=%d raw_inum=%u raw_proto=%u "
						"tid=%llu comm=%.16s pcount=0x%x\n",
						(unsigned long long)k, v.so_cpu,
						(unsigned long long)(v.so_pid_tgid >> 32),
						(unsigned long long)v.so_ts, v.so_old_new,
						!!(v.flags & 4), v.raw_inum, v.raw_proto,
						(unsigned long long)(v.so_pid_tgid & 0xffffffff),
						v.so_comm, v.so_pcount);
			}
		}
		if (f)
			fclose(f);
		printf("track: flags(1=so,2=tp counted,4=tp invoked) f7=%ld f5=%ld f1=%ld f3=%ld\n",
		       cnt[7], cnt[5], cnt[1], cnt[3]);
		printf("track: entries=%ld both=%ld sockops_only=%ld tp_only=%ld trk_fail=%llu "
		       "missed_pid0=%ld missed_pid_other=%ld missed_cpu0=%ld missed_cpu1=%ld\n",
		       n, cnt[3] + cnt[7], cnt[1] + cnt[5], cnt[2] + cnt[6],
		       (unsigned long long)b->trk_fail, pid0, pidother, cpu[0], cpu[1]);
	}
	if (tp2) {
		P(tp2_enter);
		P(tp2_leave);
		for (int i = 0; i < 16; i++)
			if (b->tp2_leave_to[i])
				printf("tp2_leave_to[%d]=%llu\n", i,
				       (unsigned long long)b->tp2_leave_to[i]);
		progstat("tp_state2", sk->progs.tp_state2);
	}
	if (so) {
		P(so_calls);
		P(so_connect);
		P(so_leave);
		for (int i = 0; i < 16; i++)
			if (b->so_leave_to[i])
				printf("so_leave_to[%d]=%llu\n", i,
				       (unsigned long long)b->so_leave_to[i]);
		P(so_state_cb);
		P(so_state_cb_other);
		P(so_state_after_clear);
		P(so_lport_zero);
		P(so_lport_nonzero);
		P(so_rip_zero);
		P(so_rport_zero);
		P(so_fam_not_inet);
		P(so_storage_null);
		P(so_cookie_zero);
		struct in_addr a;
		char rip[32], lip[32];
		a.s_addr = b->last.rip4;
		strcpy(rip, inet_ntoa(a));
		a.s_addr = b->last.lip4;
		strcpy(lip, inet_ntoa(a));
		printf("last_connect: pid=%llu tgid=%llu uid=%llu gid=%llu comm=%.16s cgid=%llu "
		       "anc1=%llu anc2=%llu cookie=%llu netns_cookie=%llu family=%u local=%s:%u "
		       "remote=%s raw_remote_port=0x%08x (ntohs(hi16)=%u ntohs(lo16)=%u)\n",
		       (unsigned long long)(b->last.pid_tgid & 0xffffffff),
		       (unsigned long long)(b->last.pid_tgid >> 32),
		       (unsigned long long)(b->last.uid_gid & 0xffffffff),
		       (unsigned long long)(b->last.uid_gid >> 32), b->last.comm,
		       (unsigned long long)b->last.cgid, (unsigned long long)b->last.anc1,
		       (unsigned long long)b->last.anc2, (unsigned long long)b->last.cookie,
		       (unsigned long long)b->last.netns_cookie, b->last.family, lip, b->last.lport,
		       rip, b->last.rport, ntohs(b->last.rport >> 16),
		       ntohs(b->last.rport & 0xffff));
		progstat("so_prog", sk->progs.so_prog);
	}
	if (sfpin) {
		P(sf_calls);
		P(sf_cookie_last);
		progstat("sf_prog", sk->progs.sf_prog);
		unlink(sfpin);
	}
	fflush(stdout);
	bpf_link__destroy(l1);
	bpf_link__destroy(l2);
	bpf_link__destroy(l3);
	exp_bpf__destroy(sk);
	return 0;
}
