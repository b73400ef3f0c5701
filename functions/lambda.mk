# Shared by the functions' and the layer's build recipes (`sam build`, BuildMethod: makefile, run from
# the project root with ARTIFACTS_DIR set).
PYTHON ?= python3
# Wheels for Lambda's platform (python3.11, x86_64), whatever machine builds.
LAMBDA_PIP := $(PYTHON) -m pip install --quiet --no-compile --disable-pip-version-check \
	--platform manylinux2014_x86_64 --implementation cp --python-version 3.11 --only-binary=:all:
# What the python3.11 runtime already has: never shipped, so the runtime's boto3 and its own botocore
# stay one matched pair (aws-xray-sdk would otherwise bring a second botocore that shadows it).
RUNTIME_PROVIDES := boto3 boto3-* botocore botocore-* s3transfer s3transfer-* jmespath jmespath-* \
	dateutil python_dateutil-* urllib3 urllib3-* six.py six-*
# Lambda's file system is read-only, so without .pyc files every cold start compiles every module
# again. unchecked-hash: the .pyc stays valid whatever file times the deployment zip keeps. A builder
# on another Python writes another version's .pyc, which python3.11 ignores (no harm, no gain).
COMPILE := $(PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash

# $(call function,FOLDER): a function's handler and its own dependencies into ARTIFACTS_DIR.
define function
	test -n "$(ARTIFACTS_DIR)"
	$(LAMBDA_PIP) --target $(ARTIFACTS_DIR) -r $(1)/requirements.txt
	cd $(ARTIFACTS_DIR) && rm -rf $(RUNTIME_PROVIDES) bin  # bin: console scripts, of no use on Lambda
	cp $(1)/app.py $(ARTIFACTS_DIR)/
	$(COMPILE) $(ARTIFACTS_DIR)
endef
