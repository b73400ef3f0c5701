#!/bin/sh
# The image's entry point (`docker run IMAGE app.lambda_handler`), as in Lambda's base images; `sam local`
# does not use it: it starts its own emulator, which runs /var/runtime/bootstrap.
if [ $# -ne 1 ]; then
    echo "entrypoint requires the handler name to be the first argument" 1>&2
    exit 142
fi
export _HANDLER="$1"
if [ -z "${AWS_LAMBDA_RUNTIME_API:-}" ] && [ -x /usr/local/bin/aws-lambda-rie ]; then
    exec /usr/local/bin/aws-lambda-rie /var/runtime/bootstrap
fi
exec /var/runtime/bootstrap
