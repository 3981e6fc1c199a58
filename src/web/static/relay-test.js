// Live progress of a running relay test over server-sent events; without
// JavaScript the page refreshes itself instead (a <noscript> meta refresh).
(function () {
  var box = document.getElementById('progress');
  if (!box || !window.EventSource) return;
  var begun = document.getElementById('begun');
  var source = new EventSource(box.getAttribute('data-events'));
  source.addEventListener('progress', function (e) {
    var p = JSON.parse(e.data);
    document.getElementById('state').textContent = p.state;
    document.getElementById('counts').textContent = p.done + ' of ' + p.total +
      ' tricks tried so far: ' + p.refused + ' refused, ' + p.relayed + ' relayed, ' + p.other + ' other.';
    document.getElementById('current').textContent = p.current;
    while (begun.children.length < p.begun.length) {
      var li = document.createElement('li');
      var code = document.createElement('code');
      code.textContent = p.begun[begun.children.length];
      li.appendChild(code);
      begun.appendChild(li);
    }
  });
  source.addEventListener('done', function () {
    source.close();
    window.location.reload();
  });
})();
