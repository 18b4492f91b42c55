# The jobs of one stand-in arcsub call (see arcsub): for each job description
# its staged script and name, the simulated job, its output, and the line
# ARC 6.17 prints for it. Needs render.awk; -v sim, ce, id, t, template.
BEGIN {
  for (k = 1; k < ARGC; k++) {
    xrsl = ARGV[k]; text = ""
    while ((getline line < xrsl) > 0) text = text line "\n"
    close(xrsl)
    script = ""; name = ""
    if (match(text, /\(inputfiles=\("job\.sh" "[^"]*"\)\)/)) script = substr(text, RSTART + 23, RLENGTH - 26)
    if (match(text, /\(jobname="[^"]*"\)/)) name = substr(text, RSTART + 10, RLENGTH - 12)
    n = id k
    print name " " t > (sim "/arc/" n); close(sim "/arc/" n)
    render(script, sim "/arc/" n ".out")
    print n >> (sim "/submitted"); close(sim "/submitted")
    print "Job submitted with jobid: " ce "/rest/1.0/jobs/" n
  }
  exit
}
