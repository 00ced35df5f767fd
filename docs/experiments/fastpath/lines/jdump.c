// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * jdump PROG_ID IMAGE LINES: a loaded program's JIT image, and for each of
 * its source lines the offset in that image where its code starts
 * ("offset<TAB>line<TAB>source"); prints the image's address and length
 * ("0xADDR LEN"). Debian's bpftool cannot disassemble (no libbfd); with
 * this, perf's samples (addresses) map to source lines.
 *
 *   cc -O2 -Wall -o jdump jdump.c -lbpf
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info), jlen, nli, njli;
	struct bpf_line_info *li;
	unsigned char *img;
	__u64 *jli, ksym = 0;
	struct btf *btf;
	FILE *f;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: jdump PROG_ID IMAGE LINES\n");
		return 2;
	}
	fd = bpf_prog_get_fd_by_id(atoi(argv[1]));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		perror("jdump: program");
		return 1;
	}
	jlen = info.jited_prog_len;
	nli = info.nr_line_info;
	njli = info.nr_jited_line_info;
	img = calloc(1, jlen ? jlen : 1);
	li = calloc(nli ? nli : 1, sizeof(*li));
	jli = calloc(njli ? njli : 1, sizeof(*jli));
	if (!img || !li || !jli)
		return 1;
	btf = btf__load_from_kernel_by_id(info.btf_id);
	info = (struct bpf_prog_info){
		.jited_prog_len = jlen,
		.jited_prog_insns = (__u64)(unsigned long)img,
		.nr_line_info = nli,
		.line_info_rec_size = sizeof(*li),
		.line_info = (__u64)(unsigned long)li,
		.nr_jited_line_info = njli,
		.jited_line_info_rec_size = sizeof(*jli),
		.jited_line_info = (__u64)(unsigned long)jli,
		.nr_jited_ksyms = 1,
		.jited_ksyms = (__u64)(unsigned long)&ksym,
	};
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		perror("jdump: program");
		return 1;
	}
	f = fopen(argv[2], "w");
	if (!f || fwrite(img, 1, jlen, f) != jlen || fclose(f))
		return 1;
	f = fopen(argv[3], "w");
	if (!f)
		return 1;
	for (__u32 i = 0; i < njli && i < nli; i++) {
		const char *src = btf ? btf__name_by_offset(btf, li[i].line_off) : NULL;

		fprintf(f, "%llx\t%u\t%s\n", (unsigned long long)(jli[i] - ksym),
			BPF_LINE_INFO_LINE_NUM(li[i].line_col), src ? src : "");
	}
	if (fclose(f))
		return 1;
	printf("0x%llx %u\n", (unsigned long long)ksym, jlen);
	return 0;
}
