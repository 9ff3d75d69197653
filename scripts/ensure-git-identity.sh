#!/usr/bin/env bash
# DataLad commits with git: with no identity configured it records `root <root>`, so set a
# neutral one, but never overwrite an identity the user already has.
set -euo pipefail
if [ -z "$(git config --get user.name || true)" ]; then
    git config --global user.name "brainlike workflow"
fi
if [ -z "$(git config --get user.email || true)" ]; then
    git config --global user.email "brainlike@localhost"
fi
