# halfopen: see README.md. `make` builds everything into build/.
PREFIX ?= /usr/local
BUILD  ?= build

CC      ?= gcc
CLANG   ?= clang
BPFTOOL ?= bpftool
PKGS    := libbpf libmnl libnetfilter_queue

CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -I$(BUILD) -Ibpf -Isrc
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -lmnl -lnetfilter_queue) -lelf -lz
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall -Werror -I$(BUILD) -Ibpf

# Pure logic: no kernel, no root; unit-tested, also under ASan/UBSan.
LOGIC   := queue parse ctl_proto limit_event packet
DAEMON  := halfopend kern nfq rules limiter ctl_server ctl_lists procinfo log
CLI     := halfopen cli cli_ps cli_events cli_top parse ctl_proto procinfo
UNIT    := test_queue test_parse test_ctl_proto test_limit_event test_packet

.PHONY: all clean check unit unit-asan test demo format format-check install
all: $(BUILD)/halfopend $(BUILD)/halfopen $(BUILD)/hoconn $(BUILD)/hopeer

$(BUILD):
	mkdir -p $@ $@/asan

$(BUILD)/vmlinux.h: | $(BUILD)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/halfopen.bpf.o: bpf/halfopen.bpf.c bpf/halfopen.h $(BUILD)/vmlinux.h
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/halfopen.skel.h: $(BUILD)/halfopen.bpf.o
	$(BPFTOOL) gen skeleton $< name halfopen_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/kern.o: $(BUILD)/halfopen.skel.h

$(BUILD)/%.o: src/%.c $(wildcard src/*.h) bpf/halfopen.h | $(BUILD)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/halfopend: $(addprefix $(BUILD)/,$(addsuffix .o,$(DAEMON) $(LOGIC)))
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/halfopen: $(addprefix $(BUILD)/,$(addsuffix .o,$(CLI)))
	$(CC) $(CFLAGS) $^ -o $@

# Test tools: a connecting client and a peer, driven by the namespace tests.
$(BUILD)/hoconn: tests/tools/hoconn.c | $(BUILD)
	$(CC) $(CFLAGS) $< -o $@
$(BUILD)/hopeer: tests/tools/hopeer.c | $(BUILD)
	$(CC) $(CFLAGS) $< -o $@

# Unit tests, plain and sanitized.
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
$(BUILD)/test_%: tests/unit/test_%.c tests/unit/unit.h $(addprefix src/,$(addsuffix .c,$(LOGIC))) $(wildcard src/*.h) bpf/halfopen.h | $(BUILD)
	$(CC) $(CFLAGS) -Itests/unit $< $(addprefix src/,$(addsuffix .c,$(LOGIC))) -o $@
$(BUILD)/asan/test_%: tests/unit/test_%.c tests/unit/unit.h $(addprefix src/,$(addsuffix .c,$(LOGIC))) $(wildcard src/*.h) bpf/halfopen.h | $(BUILD)
	$(CC) $(CFLAGS) -O1 $(SAN) -Itests/unit $< $(addprefix src/,$(addsuffix .c,$(LOGIC))) -o $@

unit: $(addprefix $(BUILD)/,$(UNIT)) $(addprefix $(BUILD)/asan/,$(UNIT))

# The whole suite: unit tests (plain and sanitized) and namespace tests.
check test: all unit
	tests/run.sh

demo: all
	demo/demo.sh

FORMAT_FILES := $(wildcard src/*.c src/*.h bpf/*.c bpf/*.h tests/unit/*.c tests/unit/*.h tests/tools/*.c)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf $(BUILD)
