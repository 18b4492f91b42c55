# The baseline run.mjs compares `reconcile plan` with: what an admin would
# write instead. A name-only set difference per site, versions ignored:
#   install = desired base names not installed
#   remove  = installed base names not desired
# Arguments come in pairs, desired-names/SITE.txt then observed/SITE.pkg_info
# (one pair, or all of them in one awk process); FNR == 1 marks a new file.
FNR == 1 {
  if (++file % 2 == 1) {
    if (site != "") report()
    site = FILENAME; sub(/.*\//, "", site); sub(/\.txt$/, "", site)
    delete want; delete have
  }
}
file % 2 == 1 { want[$1] = 1; next }
{ name = $1; sub(/-[^-]*$/, "", name); have[name] = 1 }
END { if (site != "") report() }

function report(  n) {
  for (n in want) if (!(n in have)) print site, "install", n
  for (n in have) if (!(n in want)) print site, "remove", n
}
