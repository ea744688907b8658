#!/bin/sh
# Re-extract every UI string into campaign/translations/messages.pot and merge it into the zh_CN
# and en catalogs. New English entries arrive empty (tests/test_translations.py then fails until
# they are translated). The .po files are compiled in memory at start-up: no .mo is committed.
set -eu
cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-pybabel}"  # run inside the project's virtualenv, or set PYBABEL
DIR=campaign/translations

"$PYBABEL" extract --mapping-file=babel.cfg --keywords=_l --keywords=lazy_gettext \
  --no-location --project=campaign --copyright-holder="campaign contributors" \
  --msgid-bugs-address="" --output-file="$DIR/messages.pot" .
for locale in zh_CN en; do
  po="$DIR/$locale/LC_MESSAGES/messages.po"
  if [ -f "$po" ]; then
    "$PYBABEL" update --input-file="$DIR/messages.pot" --output-dir="$DIR" --locale="$locale" \
      --no-fuzzy-matching --ignore-obsolete
  else
    "$PYBABEL" init --input-file="$DIR/messages.pot" --output-dir="$DIR" --locale="$locale"
  fi
done
