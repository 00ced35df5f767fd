#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
static char lastlog[8192];
static int pr(enum libbpf_print_level l, const char *f, va_list ap)
{
	if (l == LIBBPF_DEBUG)
		return 0;
	vsnprintf(lastlog, sizeof lastlog, f, ap);
	return 0;
}
int main(int argc, char **argv)
{
	libbpf_set_print(pr);
	struct bpf_object *o = bpf_object__open_file("probe.bpf.o", NULL);
	if (!o) {
		perror("open");
		return 1;
	}
	struct bpf_program *p;
	const char *names[64];
	int n = 0;
	bpf_object__for_each_program(p, o) names[n++] = strdup(bpf_program__name(p));
	bpf_object__close(o);
	for (int i = 0; i < n; i++) {
		o = bpf_object__open_file("probe.bpf.o", NULL);
		bpf_object__for_each_program(p, o)
			bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), names[i]));
		lastlog[0] = 0;
		int err = bpf_object__load(o);
		printf("%-18s %s\n", names[i], err ? "REJECTED" : "accepted");
		if (err) {
			char *s = strstr(lastlog, "unknown func");
			printf("   %s\n", s ? s : "(see log)");
		}
		bpf_object__close(o);
	}
	return 0;
}
