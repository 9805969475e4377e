#!/usr/bin/env bash
# Cuts a release: scripts/release.sh 1.2.3
#
# Workflows run the committed dist/ of the tag they pin (usually the major tag, `@v1`), so
# a release must tag a commit whose dist/ is exactly the build of its src/. This script
# refuses anything else, bumps the version, commits, tags v1.2.3, moves v1 to it, and
# prints the push command instead of pushing, so the result can be looked at first.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "release: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: scripts/release.sh MAJOR.MINOR.PATCH (e.g. 1.2.3)"
version="$1"
[[ "$version" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]] \
  || die "\"$version\" is not a version like 1.2.3 (no leading v, no pre-release suffix)"
tag="v$version"
major="v${BASH_REMATCH[1]}"

git symbolic-ref -q HEAD >/dev/null || die "HEAD is detached: check out the branch to release from"
[ -z "$(git status --porcelain)" ] || die "the working tree has uncommitted or untracked changes: commit or remove them first"
! git rev-parse -q --verify "refs/tags/$tag" >/dev/null || die "tag $tag already exists"
grep -qF "## [$version]" CHANGELOG.md || die "CHANGELOG.md has no \"## [$version]\" section: describe the release first"

echo "release: checking that dist/ is the build of src/ ..."
npm run -s build
if ! git diff --quiet -- dist || [ -n "$(git status --porcelain -- dist)" ]; then
  git status --short -- dist
  die "dist/ differs from a fresh 'npm run build': commit the rebuilt dist/ (now in the working tree) and run this again"
fi

# --allow-same-version: the first release ships the version package.json already has.
npm version "$version" --no-git-tag-version --allow-same-version >/dev/null
# Date the entry if it still says "Unreleased".
sed -i.bak "s/^## \[$version\] - Unreleased\$/## [$version] - $(date -u +%F)/" CHANGELOG.md && rm -f CHANGELOG.md.bak

git add package.json package-lock.json CHANGELOG.md
if git diff --cached --quiet; then
  echo "release: version and changelog already up to date, tagging HEAD"
else
  git commit -q -m "Release $tag"
fi
git tag -a "$tag" -m "$tag"
# The major tag is what workflows pin; moving it is the actual release to users.
git tag -fa "$major" -m "$major -> $tag" "$tag^{commit}" >/dev/null

echo "release: tagged $tag and moved $major to $(git rev-parse --short HEAD). To publish:"
echo
echo "  git push origin HEAD $tag && git push --force origin $major"
