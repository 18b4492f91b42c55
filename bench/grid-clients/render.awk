# Used by the stand-in clients (see common.sh): render(script, out) writes the
# job's output as the real job script would, from job-output.template with
# the script's VO_MARK and VO_TXN filled in. One awk per client call, however
# many jobs it carries: the stand-ins must cost about what the real clients
# cost the controller's machine (a process, not several per job).
function literal(s) { gsub(/[\\&]/, "\\\\&", s); return s }
function render(script, out,    line, mark, txn) {
  mark = ""; txn = ""
  while ((getline line < script) > 0) {
    if (line ~ /^VO_MARK='.*'$/) mark = substr(line, 10, length(line) - 10)
    else if (line ~ /^VO_TXN='.*'$/) txn = substr(line, 9, length(line) - 9)
  }
  close(script)
  mark = literal(mark); txn = literal(txn)
  while ((getline line < template) > 0) {
    gsub(/@@MARK@@/, mark, line); gsub(/@@TXN@@/, txn, line)
    print line > out
  }
  close(template); close(out)
}
