# SPDX-License-Identifier: GPL-2.0
#
# knhk-sched: build the module against KDIR, and the project's entry points.
#   make                 knhk_sched.ko for KDIR (default: see scripts/kdir.sh)
#   make W=1 C=1         the same, with extra warnings and sparse
#   make tools           knhkctl
#   make demo            boot the stock kernel in QEMU and show the scheduler
#   make check           every test: see README.md
#   make stress          a larger determinism matrix (scripts/stress.sh)
#   make fuzz            fuzz the replay log parser for 10 minutes
#   make bench           benchmarks against ck_ring, rte_ring and io_uring;
#                        regenerates docs/performance.md (scripts/bench.sh)
#   make install         install the module into KDIR's kernel, run depmod

KDIR ?= $(shell $(CURDIR)/scripts/kdir.sh)
OUT ?= $(CURDIR)/out
# The kernel's release string, as /lib/modules names it (Debian's headers
# have a shorter one in include/config/kernel.release).
KREL = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h)

.PHONY: all modules tools selftests check stress fuzz bench demo deps install clean

all: modules

modules:
	@test -n "$(KDIR)" || { echo "knhk: set KDIR=<kernel build dir>" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools:
	$(MAKE) -C tools OUT=$(OUT)/tools

selftests:
	$(MAKE) -C selftests OUT=$(OUT)/selftests

check:
	@scripts/check.sh

stress:
	@scripts/stress.sh

fuzz:
	@scripts/deps.sh
	$(MAKE) -C tools OUT=$(OUT)/tools fuzz

bench:
	@scripts/bench.sh

demo:
	@scripts/demo.sh

deps:
	@scripts/deps.sh

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) KERNELRELEASE=$(KREL) modules_install
	depmod -a $(KREL)

clean:
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf $(OUT)
