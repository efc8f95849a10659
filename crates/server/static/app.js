// Sportello's customer pages: live hints on top of forms that work without this script.
// No framework, no build step. Every rule stays on the server: the script asks the server's
// check endpoints and reads limits and messages from the page.
(function () {
  'use strict';
  var d = document;

  // The reader's time zone, for due times in words ("by Monday at 20:00").
  var zone = '';
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) { /* old browser */ }
  if (zone) {
    var had = /(?:^|;\s*)tz=/.test(d.cookie);
    d.cookie = 'tz=' + encodeURIComponent(zone) + '; path=/; max-age=31536000; samesite=lax';
    // A page rendered in UTC for want of the zone is shown again, once, in the reader's zone.
    if (!had && d.body.getAttribute('data-tz-reload') === '1' && /(?:^|;\s*)tz=/.test(d.cookie)) {
      location.reload();
      return;
    }
  }

  // Copy buttons (the case number).
  Array.prototype.forEach.call(d.querySelectorAll('[data-copy]'), function (button) {
    if (!navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener('click', function () {
      var source = d.getElementById(button.getAttribute('data-copy'));
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        var label = button.textContent;
        button.textContent = button.getAttribute('data-copied');
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });

  // One submit per form: a double click never sends two requests.
  Array.prototype.forEach.call(d.querySelectorAll('form[data-once]'), function (form) {
    form.addEventListener('submit', function (event) {
      if (form.getAttribute('data-sent')) { event.preventDefault(); return; }
      var files = form.querySelector('input[type=file]');
      if (files && files.getAttribute('aria-invalid') === 'true' && files.getAttribute('data-js-invalid')) {
        event.preventDefault();
        files.focus();
        return;
      }
      form.setAttribute('data-sent', '1');
      // After the browser has read the form (a disabled submitter would not be sent).
      setTimeout(function () {
        Array.prototype.forEach.call(form.querySelectorAll('button[type=submit]'), function (b) {
          b.disabled = true;
          if (b.getAttribute('data-sending')) { b.textContent = b.getAttribute('data-sending'); }
        });
      }, 0);
    });
  });
  // Back from the next page (bfcache): the form may be used again.
  window.addEventListener('pageshow', function () {
    Array.prototype.forEach.call(d.querySelectorAll('form[data-sent]'), function (form) {
      form.removeAttribute('data-sent');
      Array.prototype.forEach.call(form.querySelectorAll('button[type=submit]'), function (b) { b.disabled = false; });
    });
  });

  // Focus the error summary of a refused form, so it is read first.
  var summary = d.getElementById('summary');
  if (summary) { summary.focus(); }

  var lang = d.documentElement.lang || 'en';

  function debounce(fn, ms) {
    var timer;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  function text(el, value) { el.textContent = value; }

  // The line under the input (its space is kept, so nothing moves): a message, and a button that
  // puts the suggestion in.
  function hint(input, live, kind, message, suggestion, useLabel) {
    live.className = 'live' + (kind ? ' ' + kind : '');
    text(live, message || '');
    if (suggestion) {
      var use = d.createElement('button');
      use.type = 'button';
      text(use, useLabel);
      use.addEventListener('click', function () {
        input.value = suggestion;
        input.removeAttribute('aria-invalid');
        text(live, '');
        input.dispatchEvent(new Event('input'));
        input.focus();
      });
      live.appendChild(d.createTextNode(' '));
      live.appendChild(use);
    }
  }

  // Asks the server's check as the person types; `render(answer, out, final)` gets `final` on blur,
  // where a problem without a suggestion is worth saying (not while typing).
  function live(input, url, render) {
    var out = d.getElementById(input.id + '-live');
    if (!out) { return; }
    out.hidden = false;
    var asked = 0;
    var check = function (final) {
      var value = input.value.trim();
      var mine = ++asked;
      if (!value) { hint(input, out, '', ''); return; }
      fetch(url(value), { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        // A refusal (the checks' rate limit, say) shows nothing: the server checks again on submit.
        .then(function (r) { if (!r.ok) { throw r.status; } return r.json(); })
        .then(function (answer) { if (mine === asked) { render(answer, out, final); } })
        .catch(function () { /* the server checks again on submit */ });
    };
    input.addEventListener('input', debounce(function () { check(false); }, 450));
    input.addEventListener('blur', function () { check(true); });
    // A problem the server already shows beside the field is not repeated.
    if (input.value && input.getAttribute('aria-invalid') !== 'true') { check(true); }
  }

  var form = d.getElementById('request-form');
  if (form) {
    var useLabel = form.getAttribute('data-use') || 'OK';
    var didYouMean = form.getAttribute('data-did-you-mean') || '{}?';
    var email = d.getElementById('email');
    var phone = d.getElementById('phone');
    var country = d.getElementById('country');
    // A suggestion in a short line; the domain's full message only once the field is left.
    var answerTo = function (input, good) {
      return function (answer, out, final) {
        if (answer.status === 'empty') { hint(input, out, '', ''); return; }
        if (answer.status === 'ok') { hint(input, out, good ? 'good' : '', good ? good.replace('{}', answer.value) : ''); return; }
        if (answer.suggestion) { hint(input, out, 'bad', didYouMean.replace('{}', answer.suggestion), answer.suggestion, useLabel); return; }
        hint(input, out, final ? 'bad' : '', final ? answer.message : '');
      };
    };
    if (email) {
      live(email, function (v) {
        return '/api/v1/check/email?lang=' + lang + '&value=' + encodeURIComponent(v);
      }, answerTo(email, ''));
    }
    if (phone) {
      live(phone, function (v) {
        return '/api/v1/check/phone?lang=' + lang + '&value=' + encodeURIComponent(v) +
          '&country=' + encodeURIComponent(country ? country.value.trim() : '');
      }, answerTo(phone, form.getAttribute('data-reads-as') || '{}'));
      if (country) { country.addEventListener('change', function () { phone.dispatchEvent(new Event('blur')); }); }
    }

    // Categories: sub-categories, the category's own fields and the urgency box follow the choice.
    var catalog = [];
    try { catalog = JSON.parse(form.getAttribute('data-catalog') || '[]'); } catch (e) { catalog = []; }
    var category = d.getElementById('category');
    var sub = d.getElementById('subcategory');
    var urgent = d.getElementById('urgent-field');
    var choose = sub.options.length ? sub.options[0].text : '';
    var follow = function (keepSub) {
      var chosen = null;
      catalog.forEach(function (c) { if (c.id === category.value) { chosen = c; } });
      var previous = sub.value;
      while (sub.firstChild) { sub.removeChild(sub.firstChild); }
      sub.appendChild(new Option(choose, ''));
      (chosen ? chosen.subcategories : []).forEach(function (s) {
        sub.appendChild(new Option(s[1], s[0], false, keepSub && s[0] === previous));
      });
      sub.disabled = !chosen;
      Array.prototype.forEach.call(form.querySelectorAll('fieldset[data-category]'), function (group) {
        var on = chosen !== null && group.getAttribute('data-category') === chosen.id;
        group.hidden = !on;
        group.disabled = !on;
      });
      if (urgent) {
        var allowed = !!(chosen && chosen.urgent);
        urgent.hidden = !allowed;
        if (!allowed) { d.getElementById('urgent').checked = false; }
      }
    };
    if (category && sub) {
      follow(true);
      category.addEventListener('change', function () { follow(false); });
    }
  }

  // Screenshots: count, size, type and resolution before anything is sent (limits and messages
  // come from the page, which has them from the server's rules).
  Array.prototype.forEach.call(d.querySelectorAll('input[type=file][data-max-files]'), function (input) {
    var out = d.getElementById(input.id + '-error');
    var field = d.getElementById(input.id + '-field');
    var types = ['image/jpeg', 'image/png', 'image/gif'];
    var fail = function (message) {
      text(out, message);
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('data-js-invalid', '1');
      field.classList.add('invalid');
    };
    var clear = function () {
      text(out, '');
      input.removeAttribute('aria-invalid');
      input.removeAttribute('data-js-invalid');
      field.classList.remove('invalid');
    };
    input.addEventListener('change', function () {
      clear();
      var form = input.form;
      var kept = form ? form.querySelectorAll('input[name=kept]:checked').length : 0;
      var files = Array.prototype.slice.call(input.files || []);
      var max = Number(input.getAttribute('data-max-files'));
      if (files.length + kept > max) { fail(input.getAttribute('data-too-many')); return; }
      var problems = [];
      files.forEach(function (f) {
        if (types.indexOf(f.type) < 0) { problems.push(f.name + ': ' + input.getAttribute('data-wrong-type')); }
        else if (f.size > Number(input.getAttribute('data-max-bytes'))) { problems.push(f.name + ': ' + input.getAttribute('data-too-large')); }
      });
      if (problems.length) { fail(problems.join(' ')); return; }
      if (!window.createImageBitmap) { return; }
      var min = Number(input.getAttribute('data-min-side'));
      Promise.all(files.map(function (f) {
        return createImageBitmap(f).then(function (img) {
          var small = Math.min(img.width, img.height) < min;
          if (img.close) { img.close(); }
          return small ? f.name + ': ' + input.getAttribute('data-too-small') : '';
        }, function () { return ''; });
      })).then(function (found) {
        var bad = found.filter(Boolean);
        if (bad.length) { fail(bad.join(' ')); }
      });
    });
  });
}());
