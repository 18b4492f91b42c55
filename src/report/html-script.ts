// The status page's script (plain ES5, inline: the page loads nothing).
// It draws the grid from #grid-data, filters and sorts it, names a cell on
// hover, shows every <time> as "5 min ago" (kept current), and on a served
// page reloads itself every data-refresh seconds, keeping the filter.
export const GRID_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('grid-data').textContent);
  var head = document.querySelector('#grid thead'), body = document.querySelector('#grid tbody');
  var input = document.getElementById('filter'), count = document.getElementById('count');
  function h(s) { return String(s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); }
  head.innerHTML = '<tr><th data-col="0">package</th>' + data.sites.map(function (n, i) {
    return '<th data-col="' + (i + 1) + '" title="' + h(data.platforms[i]) + '">' + h(n) + '</th>';
  }).join('') + '</tr>';
  var rows = data.rows.map(function (r) {
    var words = [r[0]], keys = [r[0]];
    var html = '<th scope="row">' + h(r[0]) + '</th>' + r[2].map(function (c) {
      if (!c) { keys.push(''); return '<td></td>'; }
      var st = data.states[c[0]];
      words.push(st, c[1]);
      keys.push(st + ' ' + c[1]);
      return '<td class="' + st + '"><span class="sym">' + data.symbols[c[0]] + '</span>' + h(c[1]) + '</td>';
    }).join('');
    var tr = document.createElement('tr');
    tr.innerHTML = html;
    tr.vo = { tr: tr, data: r, search: words.join(' ').toLowerCase(), keys: keys };
    return tr.vo;
  });
  rows.forEach(function (r) { body.appendChild(r.tr); });
  function filter() {
    var q = input.value.toLowerCase(), shown = 0;
    rows.forEach(function (r) { var ok = r.search.indexOf(q) >= 0; r.tr.hidden = !ok; if (ok) shown++; });
    count.textContent = shown + ' of ' + rows.length + ' packages';
  }
  input.addEventListener('input', filter);
  head.addEventListener('click', function (e) {
    var th = e.target.closest('th');
    if (!th) return;
    var col = +th.dataset.col, dir = th.dataset.dir === 'asc' ? -1 : 1;
    th.dataset.dir = dir > 0 ? 'asc' : 'desc';
    rows.sort(function (a, b) { return dir * a.keys[col].localeCompare(b.keys[col]); });
    rows.forEach(function (r) { body.appendChild(r.tr); });
  });
  body.addEventListener('mouseover', function (e) {
    var td = e.target.closest('td');
    if (!td || td.title) return;
    var r = td.parentNode.vo, i = td.cellIndex - 1, c = r && r.data[2][i];
    if (!c) { td.title = data.sites[i] + ': ' + (r ? r.data[0] : '') + ' not declared'; return; }
    td.title = data.sites[i] + ': ' + r.data[0] + ' ' + data.states[c[0]] +
      (c[1] ? ', installed ' + r.data[0] + '-' + c[1] : '') + ', desired ' + (c[2] >= 0 ? r.data[1][c[2]] : 'not declared');
  });
  function ago(iso) {
    var s = Math.round((Date.now() - Date.parse(iso)) / 1000);
    if (isNaN(s)) return iso;
    if (s < 60) return 'just now';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 86400) return Math.floor(s / 3600) + ' h ago';
    if (s < 30 * 86400) return Math.floor(s / 86400) + ' d ago';
    return iso.slice(0, 10);
  }
  function times() {
    Array.prototype.forEach.call(document.querySelectorAll('time'), function (t) { t.textContent = ago(t.getAttribute('datetime')); });
  }
  times();
  setInterval(times, 30000);
  var refresh = +document.body.dataset.refresh;
  try { input.value = sessionStorage.getItem('vo-filter') || ''; } catch (e) {}
  if (refresh > 0) setTimeout(function () {
    try { sessionStorage.setItem('vo-filter', input.value); } catch (e) {}
    location.reload();
  }, refresh * 1000);
  filter();
})();
`;
