/** The demo's live page: plain HTML, CSS and a script that polls `/state` four times a second. */
export const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>raftkit demo</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 24px; background: #f6f7f9; color: #1d2430; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  .sub { color: #5b6573; margin-bottom: 18px; }
  #members { display: flex; gap: 16px; flex-wrap: wrap; }
  .member { background: #fff; border: 2px solid #d5d9e0; border-radius: 10px; padding: 12px 16px; width: 210px; }
  .member.leader { border-color: #1f9d55; box-shadow: 0 0 0 3px #1f9d5533; }
  .member.stopped { opacity: .55; border-style: dashed; }
  .member.isolated { border-color: #d97706; }
  .member h2 { font-size: 16px; margin: 0 0 6px; display: flex; justify-content: space-between; }
  .role { font-weight: 600; text-transform: uppercase; font-size: 12px; padding: 2px 6px; border-radius: 4px; background: #e5e7eb; }
  .leader .role { background: #1f9d55; color: #fff; }
  .stopped .role { background: #b91c1c; color: #fff; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 10px; margin: 6px 0 10px; }
  dt { color: #5b6573; } dd { margin: 0; font-variant-numeric: tabular-nums; }
  .bar { height: 6px; background: #e5e7eb; border-radius: 3px; overflow: hidden; margin-bottom: 10px; }
  .bar div { height: 100%; background: #3b82f6; }
  button { font: inherit; font-size: 12px; margin-right: 4px; padding: 3px 8px; border-radius: 5px; border: 1px solid #b8bfca; background: #fff; cursor: pointer; }
  button:disabled { opacity: .4; cursor: default; }
  #chart { background: #fff; border: 1px solid #d5d9e0; border-radius: 10px; margin-top: 18px; }
  #timeline { font: 12px ui-monospace, monospace; white-space: pre-wrap; background: #fff; border: 1px solid #d5d9e0; border-radius: 10px; padding: 10px; margin-top: 18px; }
</style>
</head>
<body>
<h1>raftkit demo</h1>
<div class="sub">3 member processes, classic-level on disk, TCP on loopback. <span id="summary"></span></div>
<div id="members"></div>
<svg id="chart" width="680" height="160" viewBox="0 0 680 160" role="img" aria-label="throughput"></svg>
<div id="timeline"></div>
<script>
const $ = (id) => document.getElementById(id);
async function act(op, id) {
  await fetch('/action?op=' + op + '&id=' + id, { method: 'POST' });
  refresh();
}
function member(m, maxCommit) {
  const cls = ['member', m.alive ? m.role : 'stopped', m.isolated ? 'isolated' : ''].join(' ');
  const role = m.alive ? m.role + (m.isolated ? ' (cut off)' : '') : 'stopped';
  const pct = maxCommit > 0 ? Math.round((m.applied / maxCommit) * 100) : 0;
  return '<div class="' + cls + '" data-id="' + m.id + '" data-role="' + role + '">' +
    '<h2>member ' + m.id + ' <span class="role">' + role + '</span></h2>' +
    '<dl><dt>term</dt><dd>' + m.term + '</dd><dt>commit</dt><dd>' + m.commit + '</dd><dt>applied</dt><dd>' + m.applied +
    '</dd><dt>snapshot</dt><dd>' + (m.snapshot || '-') + '</dd><dt>pid</dt><dd>' + (m.pid || '-') + '</dd></dl>' +
    '<div class="bar"><div style="width:' + pct + '%"></div></div>' +
    '<button data-op="kill" ' + (m.alive ? '' : 'disabled') + '>kill -9</button>' +
    '<button data-op="restart" ' + (m.alive ? 'disabled' : '') + '>restart</button>' +
    '<button data-op="' + (m.isolated ? 'heal' : 'isolate') + '" ' + (m.alive ? '' : 'disabled') + '>' + (m.isolated ? 'heal' : 'partition') + '</button></div>';
}
function chart(rates) {
  const w = 680, h = 160, pad = 30;
  const max = Math.max(100, ...rates.map((r) => r.rate));
  const pts = rates.map((r, i) => (pad + (i / Math.max(1, rates.length - 1)) * (w - pad - 10)).toFixed(1) + ',' + (h - 20 - (r.rate / max) * (h - 40)).toFixed(1)).join(' ');
  const last = rates.length ? rates[rates.length - 1].rate : 0;
  $('chart').innerHTML = '<text x="' + pad + '" y="16" font-size="12" fill="#5b6573">acknowledged writes/s (last minute): now ' + last + ', peak ' + max + '</text>' +
    '<line x1="' + pad + '" y1="' + (h - 20) + '" x2="' + (w - 10) + '" y2="' + (h - 20) + '" stroke="#d5d9e0"/>' +
    '<polyline fill="none" stroke="#3b82f6" stroke-width="2" points="' + pts + '"/>';
}
async function refresh() {
  const res = await fetch('/state');
  const s = await res.json();
  const maxCommit = Math.max(0, ...s.members.map((m) => m.commit));
  $('members').innerHTML = s.members.map((m) => member(m, maxCommit)).join('');
  const leader = s.members.find((m) => m.alive && m.role === 'leader' && !m.isolated);
  $('summary').textContent = (leader ? 'leader: member ' + leader.id + ' (term ' + leader.term + ')' : 'no leader') + ' · ' + s.acked + ' writes acknowledged' + (s.watch ? ' · ' + s.watch : '');
  $('summary').dataset.leader = leader ? String(leader.id) : '';
  chart(s.rates);
  $('timeline').textContent = s.timeline.join('\\n');
}
$('members').addEventListener('click', (e) => {
  const b = e.target.closest('button');
  if (b) act(b.dataset.op, b.closest('.member').dataset.id);
});
refresh();
setInterval(refresh, 250);
</script>
</body>
</html>
`;
