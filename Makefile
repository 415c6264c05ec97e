# Thin wrapper over CMake. The two commands a new user needs:
#   make demo   - install missing packages, build, run the example tasks on the mock provider
#   make test   - install missing packages, build, run the suite, then again under ASan+UBSan
BUILD      ?= build
BUILD_SAN  ?= build-san
BUILD_FUZZ ?= build-fuzz
FUZZ_CC    ?= clang-14
FUZZ_TIME  ?= 60
FUZZ_TARGETS ?=
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all deps build demo test test-plain test-san lint install clean bench fuzz

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/Makefile:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS) >/dev/null

build: $(BUILD)/Makefile
	@cmake --build $(BUILD) -j $(JOBS)

demo: deps
	@$(MAKE) --no-print-directory build >/dev/null
	@./$(BUILD)/llm-tester run --tasks examples/tasks --models mock:oracle --models mock:noisy --seed 42 --output $(BUILD)/demo-output --overwrite

test: deps
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory test-plain
	@$(MAKE) --no-print-directory test-san

# static analysis (cppcheck): warnings, performance, portability; any finding fails
lint:
	@./scripts/lint.sh

test-plain: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-san:
	@cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DLLMT_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_SAN) -j $(JOBS)
	@cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

# libFuzzer: every harness of tests/fuzz built with clang (ASan+UBSan), each run for
# FUZZ_TIME seconds (FUZZ_TARGETS="jscan score" runs only those); findings go to
# $(BUILD_FUZZ)/fuzz-artifacts/ (docs/architecture.md, "Fuzzing"). Needs clang-14 and
# libclang-rt-14-dev (./scripts/install-deps.sh fuzz).
fuzz:
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz: $(FUZZ_CC) not found (./scripts/install-deps.sh fuzz)" >&2; exit 2; }
	@cmake -S . -B $(BUILD_FUZZ) -DCMAKE_C_COMPILER=$(FUZZ_CC) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLLMT_FUZZ=ON -DLLMT_BUILD_TESTS=OFF -DLLMT_MALLOC=system >/dev/null
	@cmake --build $(BUILD_FUZZ) -j $(JOBS)
	@./scripts/fuzz.sh $(BUILD_FUZZ) $(FUZZ_TIME) $(FUZZ_TARGETS)

# PREFIX (default /usr/local) and DESTDIR (staging root for packagers) as usual:
#   make install PREFIX=/opt/llm-tester DESTDIR=/tmp/stage
install: build
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix $(PREFIX)

bench: build
	@./bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_FUZZ)
