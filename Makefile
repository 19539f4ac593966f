# The commands the README names. Each one is a plain script in tools/ or bench/.
WORKERS ?= 0

.PHONY: run stop test compat bench lint

run:
	bash tools/run.sh

stop:
	bash tools/stop.sh

test:
	bash tools/test.sh

compat:
	bash tools/compat.sh

bench:
	bash bench/run.sh $(PARTS)

lint:
	bash tools/lint.sh
