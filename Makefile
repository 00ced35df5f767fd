# halfopen: see README.md. `make` builds everything into build/.
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
UNITDIR    ?= $(PREFIX)/lib/systemd/system
COMPDIR    ?= $(PREFIX)/share/bash-completion/completions
DOCDIR     ?= $(PREFIX)/share/doc/halfopen
SYSCONFDIR ?= /etc
BUILD      ?= build

CC      ?= gcc
CLANG   ?= clang
BPFTOOL ?= bpftool
PKGS    := libbpf libmnl libnetfilter_queue

CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Wmissing-prototypes -Wshadow -Werror -D_GNU_SOURCE
# Each folder is compiled with only the include paths it may use: the shared
# code (lib/) knows neither program, the CLI does not know the daemon.
LIB_INC    := -Ilib -Ibpf
CLI_INC    := -Icli -Ilib -Ibpf
DAEMON_INC := -Idaemon -Ilib -Ibpf -I$(BUILD)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -lmnl -lnetfilter_queue) -lelf -lz -lm
# The BPF side needs no vmlinux.h (bpf/kernel.h): the UAPI headers, found in
# the build machine's multiarch include directory, and CO-RE for the rest.
MULTIARCH  := $(shell $(CC) -dumpmachine)
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -Wall -Werror -Ibpf -I/usr/include/$(MULTIARCH)

# lib/: the code both programs share; no kernel, no root; unit-tested, also under ASan/UBSan.
LIB     := $(basename $(notdir $(wildcard lib/*.c)))
DAEMON  := $(basename $(notdir $(wildcard daemon/*.c)))
CLI     := $(basename $(notdir $(wildcard cli/*.c)))
LIB_O    := $(addprefix $(BUILD)/lib/,$(addsuffix .o,$(LIB)))
DAEMON_O := $(addprefix $(BUILD)/daemon/,$(addsuffix .o,$(DAEMON)))
CLI_O    := $(addprefix $(BUILD)/cli/,$(addsuffix .o,$(CLI)))
LIB_SRC  := $(wildcard lib/*.c)
UNIT    := $(basename $(notdir $(wildcard tests/unit/test_*.c)))

.PHONY: all clean check unit test demo bench bench-raw bench-sockopt bench-contain format format-check install uninstall doc fuzz fuzz-build
all: $(BUILD)/halfopend $(BUILD)/halfopen $(BUILD)/hoconn $(BUILD)/hopeer $(BUILD)/hostorm $(BUILD)/howorm $(BUILD)/hosockopt $(BUILD)/connect_info $(BUILD)/test_mapwalk $(BUILD)/test_reuse $(BUILD)/holeak $(BUILD)/hoctl $(BUILD)/hobench doc

MANS := $(BUILD)/man/halfopen.8 $(BUILD)/man/halfopend.8 $(BUILD)/man/halfopen.conf.5 \
	$(BUILD)/man/halfopen.7
doc: $(MANS) $(BUILD)/halfopend.service

$(BUILD)/man/%: man/%.scd
	@mkdir -p $(BUILD)/man
	scdoc < $< > $@

$(BUILD)/halfopend.service: systemd/halfopend.service.in | $(BUILD)
	sed 's|@SBINDIR@|$(SBINDIR)|g' $< > $@

# What `make install` puts in place, and exactly what `make uninstall` removes.
INSTALLED := $(SBINDIR)/halfopend $(BINDIR)/halfopen \
	$(MANDIR)/man8/halfopen.8 $(MANDIR)/man8/halfopend.8 $(MANDIR)/man5/halfopen.conf.5 \
	$(MANDIR)/man7/halfopen.7 $(INCLUDEDIR)/halfopen.h \
	$(UNITDIR)/halfopend.service $(COMPDIR)/halfopen $(COMPDIR)/halfopend \
	$(DOCDIR)/halfopen.conf.example $(SYSCONFDIR)/halfopen/halfopen.conf.example

install: $(BUILD)/halfopend $(BUILD)/halfopen doc
	install -D -m 0755 $(BUILD)/halfopend $(DESTDIR)$(SBINDIR)/halfopend
	install -D -m 0755 $(BUILD)/halfopen $(DESTDIR)$(BINDIR)/halfopen
	install -D -m 0644 $(BUILD)/man/halfopen.8 $(DESTDIR)$(MANDIR)/man8/halfopen.8
	install -D -m 0644 $(BUILD)/man/halfopend.8 $(DESTDIR)$(MANDIR)/man8/halfopend.8
	install -D -m 0644 $(BUILD)/man/halfopen.conf.5 $(DESTDIR)$(MANDIR)/man5/halfopen.conf.5
	install -D -m 0644 $(BUILD)/man/halfopen.7 $(DESTDIR)$(MANDIR)/man7/halfopen.7
	install -D -m 0644 include/halfopen.h $(DESTDIR)$(INCLUDEDIR)/halfopen.h
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/halfopend.service.in > $(DESTDIR)$(UNITDIR)/halfopend.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/halfopend.service
	install -D -m 0644 completion/halfopen.bash $(DESTDIR)$(COMPDIR)/halfopen
	install -D -m 0644 completion/halfopen.bash $(DESTDIR)$(COMPDIR)/halfopend
	install -D -m 0644 etc/halfopen.conf $(DESTDIR)$(DOCDIR)/halfopen.conf.example
	install -D -m 0644 etc/halfopen.conf $(DESTDIR)$(SYSCONFDIR)/halfopen/halfopen.conf.example

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/halfopen 2>/dev/null

$(BUILD):
	mkdir -p $@ $@/asan $@/lib $@/daemon $@/cli

# Each BPF header must compile on its own, not only inside halfopen.bpf.c.
$(BUILD)/halfopen.bpf.o: bpf/halfopen.bpf.c bpf/slots.bpf.h bpf/sockopt.bpf.h bpf/raw.bpf.h bpf/probation.bpf.h bpf/raw.h \
		bpf/halfopen.h bpf/kernel.h include/halfopen.h | $(BUILD)
	for h in kernel.h halfopen.h raw.h slots.bpf.h; do \
		echo "#include \"$$h\"" | $(CLANG) $(BPF_CFLAGS) -fsyntax-only -x c - || exit 1; done
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/halfopen.skel.h: $(BUILD)/halfopen.bpf.o
	$(BPFTOOL) gen skeleton $< name halfopen_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/daemon/kern.o $(BUILD)/daemon/rawsyn.o: $(BUILD)/halfopen.skel.h

$(BUILD)/lib/%.o: lib/%.c $(wildcard lib/*.h) bpf/halfopen.h | $(BUILD)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LIB_INC) -c $< -o $@
$(BUILD)/cli/%.o: cli/%.c $(wildcard cli/*.h lib/*.h) bpf/halfopen.h | $(BUILD)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CLI_INC) -c $< -o $@
$(BUILD)/daemon/%.o: daemon/%.c $(wildcard daemon/*.h lib/*.h) bpf/halfopen.h bpf/raw.h | $(BUILD)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DAEMON_INC) -c $< -o $@

# lib/ as an archive: each program takes only the objects it uses.
$(BUILD)/libhalfopen.a: $(LIB_O)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/halfopend: $(DAEMON_O) $(BUILD)/libhalfopen.a
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/halfopen: $(CLI_O) $(BUILD)/libhalfopen.a
	$(CC) $(CFLAGS) $^ -o $@

# Test tools: a connecting client, a peer and a raw control request, driven by the namespace tests.
$(BUILD)/hoconn: tests/tools/hoconn.c | $(BUILD)
	$(CC) $(CFLAGS) $< -o $@
$(BUILD)/hopeer: tests/tools/hopeer.c | $(BUILD)
	$(CC) $(CFLAGS) $< -o $@
$(BUILD)/hostorm: tests/tools/hostorm.c | $(BUILD)
	$(CC) $(CFLAGS) $< -o $@
$(BUILD)/howorm: tests/tools/howorm.c | $(BUILD)
	$(CC) $(CFLAGS) $< -o $@
# the example of halfopen(7), built against the public header as a program would be
$(BUILD)/connect_info: examples/connect_info.c include/halfopen.h | $(BUILD)
	$(CC) $(CFLAGS) -Iinclude $< -o $@
# the socket interface, driven by tests/net/test_sockopt.sh
$(BUILD)/hosockopt: tests/tools/hosockopt.c include/halfopen.h | $(BUILD)
	$(CC) $(CFLAGS) -pthread $< -o $@
# needs root (it makes a BPF map): run by tests/net/test_exact.sh
$(BUILD)/test_mapwalk: tests/tools/test_mapwalk.c daemon/mapwalk.c daemon/mapwalk.h | $(BUILD)
	$(CC) $(CFLAGS) -Idaemon tests/tools/test_mapwalk.c daemon/mapwalk.c -o $@ $(LDLIBS)
# forges a lost end for the repair's test (tests/net/test_exact.sh)
$(BUILD)/holeak: tests/tools/holeak.c $(BUILD)/halfopen.skel.h bpf/halfopen.h | $(BUILD)
	$(CC) $(CFLAGS) -Ibpf -I$(BUILD) $< -o $@ $(LDLIBS)
# the attempt table's entry reuse (docs/design.md): the programs with a window opened on request
$(BUILD)/halfopen_race.bpf.o: bpf/halfopen.bpf.c bpf/race_test.bpf.h bpf/race_test.h $(BUILD)/halfopen.bpf.o
	$(CLANG) $(BPF_CFLAGS) -DHO_RACE_TEST -c $< -o $@
$(BUILD)/halfopen_race.skel.h: $(BUILD)/halfopen_race.bpf.o
	$(BPFTOOL) gen skeleton $< name halfopen_race_bpf > $@.tmp && mv $@.tmp $@
# needs root (it loads BPF programs): run with the unit tests
$(BUILD)/test_reuse: tests/tools/test_reuse.c $(BUILD)/halfopen_race.skel.h bpf/halfopen.h bpf/race_test.h | $(BUILD)
	$(CC) $(CFLAGS) -Ibpf -I$(BUILD) $< -o $@ $(LDLIBS)
$(BUILD)/hoctl: tests/tools/hoctl.c lib/ctl_proto.c $(wildcard lib/*.h) bpf/halfopen.h | $(BUILD)
	$(CC) $(CFLAGS) $(LIB_INC) $< lib/ctl_proto.c -o $@

# Benchmarks: see bench/run.sh and docs/benchmarks.md.
$(BUILD)/hobench: bench/hobench.c | $(BUILD)
	$(CC) $(CFLAGS) $< -o $@
$(BUILD)/nfq_accept: bench/nfq_accept.c $(BUILD)/daemon/nfq.o $(BUILD)/lib/log.o $(BUILD)/lib/text.o
	$(CC) $(CFLAGS) $(DAEMON_INC) $^ -o $@ $(LDLIBS)

bench: all $(BUILD)/nfq_accept
	bench/run.sh

bench-raw: all
	bench/raw.sh

# The containment benchmark: bench/contain.sh, docs/benchmarks.md.
$(BUILD)/hodelay: bench/hodelay.c $(BUILD)/daemon/nfq.o $(BUILD)/lib/log.o $(BUILD)/lib/text.o
	$(CC) $(CFLAGS) $(DAEMON_INC) $^ -o $@ $(LDLIBS)
$(BUILD)/howeb: bench/howeb.c | $(BUILD)
	$(CC) $(CFLAGS) $< -o $@

bench-contain: all $(BUILD)/hodelay $(BUILD)/howeb
	bench/contain.sh

# The socket interface's cost (halfopen(7)): getsockopt and connect, with and without it.
bench-sockopt: all
	bench/sockopt.sh

# Unit tests, plain and sanitized: of lib/, and of the daemon's parts that
# need no kernel (the release engine), built with what they test only.
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_INC := $(LIB_INC)
UNIT_SRC := $(LIB_SRC)
DAEMON_UNIT := $(BUILD)/test_release $(BUILD)/asan/test_release
$(DAEMON_UNIT): UNIT_INC := -Idaemon $(LIB_INC)
$(DAEMON_UNIT): UNIT_SRC := daemon/release.c $(LIB_SRC)
$(DAEMON_UNIT): daemon/release.c daemon/release.h daemon/shared.h
# containment, with the kernel's calls faked in the test
CONTAIN_UNIT := $(BUILD)/test_contain $(BUILD)/asan/test_contain
$(CONTAIN_UNIT): UNIT_INC := -Idaemon $(LIB_INC)
$(CONTAIN_UNIT): UNIT_SRC := daemon/contain.c $(LIB_SRC)
$(CONTAIN_UNIT): daemon/contain.c daemon/contain.h daemon/kern.h daemon/shared.h
$(BUILD)/test_%: tests/unit/test_%.c tests/unit/unit.h $(LIB_SRC) $(wildcard lib/*.h) bpf/halfopen.h | $(BUILD)
	$(CC) $(CFLAGS) $(UNIT_INC) -Itests/unit $< $(UNIT_SRC) -o $@ -lm
$(BUILD)/asan/test_%: tests/unit/test_%.c tests/unit/unit.h $(LIB_SRC) $(wildcard lib/*.h) bpf/halfopen.h | $(BUILD)
	$(CC) $(CFLAGS) -O1 $(SAN) $(UNIT_INC) -Itests/unit $< $(UNIT_SRC) -o $@ -lm

unit: $(addprefix $(BUILD)/,$(UNIT)) $(addprefix $(BUILD)/asan/,$(UNIT))

# Fuzz harnesses (libFuzzer, ASan+UBSan) of the parsers: settings, policy
# lines, the control codec, the packet tuple. `make test` runs each a few
# seconds (FUZZ_SECONDS); `make fuzz FUZZ_TIME=600` runs each that long.
FUZZ	  := fuzz_config fuzz_policy fuzz_ctl_proto fuzz_packet
FUZZ_TIME ?= 60
FUZZ_SAN  := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(wildcard lib/*.h) bpf/halfopen.h | $(BUILD)
	@mkdir -p $(BUILD)/fuzz
	$(CLANG) -g -O1 $(FUZZ_SAN) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE $(LIB_INC) $< $(LIB_SRC) -o $@ -lm

fuzz-build: $(addprefix $(BUILD)/fuzz/,$(FUZZ))
fuzz: fuzz-build
	tests/fuzz/run.sh $(FUZZ_TIME)

# The whole suite: unit tests (plain and sanitized), short fuzzing runs and namespace tests.
check test: all unit fuzz-build
	tests/run.sh

demo: all
	demo/demo.sh

FORMAT_FILES := $(wildcard lib/*.c lib/*.h daemon/*.c daemon/*.h cli/*.c cli/*.h bpf/*.c bpf/*.h include/*.h tests/unit/*.c tests/unit/*.h tests/tools/*.c examples/*.c tests/fuzz/*.c bench/*.c)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf $(BUILD)
