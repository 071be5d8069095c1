// The reviewer's document viewer: rotate by quarter turns and zoom, without reloading the
// image (a photo of a licence is often sideways). No inline script: the page's CSP allows
// only scripts from this site; the transform is set through the CSSOM.
(function () {
  var image = document.getElementById('document-image');
  if (!image) return;
  var turn = 0;
  var zoom = 1;
  function apply() {
    image.style.transform = 'rotate(' + turn + 'deg) scale(' + zoom + ')';
    image.setAttribute('data-rotation', String(((turn % 360) + 360) % 360));
  }
  document.querySelectorAll('[data-viewer]').forEach(function (button) {
    button.addEventListener('click', function () {
      var action = button.getAttribute('data-viewer');
      if (action === 'left') turn -= 90;
      if (action === 'right') turn += 90;
      if (action === 'in') zoom = Math.min(zoom * 1.25, 4);
      if (action === 'out') zoom = Math.max(zoom / 1.25, 0.5);
      if (action === 'reset') { turn = 0; zoom = 1; }
      apply();
    });
  });
})();
