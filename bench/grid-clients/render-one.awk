BEGIN { render(script, out); exit }
