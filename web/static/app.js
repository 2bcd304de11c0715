/* The portal's pages: one script, no framework, no build step. It reads the path, asks the
 * public APIs (CKAN's action API, the DataStore, the Taiwan API's root from the page's meta),
 * and builds the page with DOM calls (never HTML from data). Texts come from CKAN's
 * /api/i18n/{lang} in CKAN's JavaScript translation shape: msgid -> [plural, text]. */
(function () {
  'use strict';

  var LANGS = ['zh_Hant_TW', 'en', 'zh_Hans_CN'];
  var HTML_LANG = { zh_Hant_TW: 'zh-Hant-TW', en: 'en', zh_Hans_CN: 'zh-Hans-CN' };
  /* DATA.GOV.HK's language sites: the same actions, dataset texts in that language */
  var API_PREFIX = { zh_Hant_TW: '', en: '/en-data', zh_Hans_CN: '/sc-data' };
  var ROWS = 20;      /* datasets per search page */
  var PREVIEW = 20;   /* rows per preview page */
  var FACETS = [
    ['organization', 'Organizations'],
    ['groups', 'Categories'],
    ['tags', 'Tags'],
    ['res_format', 'Formats']
  ];

  var lang = 'zh_Hant_TW';
  var texts = {};
  var main = document.getElementById('main');
  var sru = (document.querySelector('meta[name="od-sru"]') || {}).content || '/api/v1';

  /* ---- texts -------------------------------------------------------------------------- */

  function t(msgid) {
    var e = texts[msgid];
    return e && e[1] ? e[1] : msgid;
  }

  /* "{n} datasets" style texts with named values */
  function tf(msgid, values) {
    return t(msgid).replace(/\{(\w+)\}/g, function (m, k) {
      return values[k] !== undefined ? String(values[k]) : m;
    });
  }

  function pickLang() {
    var q = new URLSearchParams(location.search).get('lang');
    if (q && LANGS.indexOf(q) >= 0) return q;
    var stored = null;
    try { stored = localStorage.getItem('od-lang'); } catch (e) { /* storage off */ }
    if (stored && LANGS.indexOf(stored) >= 0) return stored;
    var prefs = navigator.languages || [navigator.language || ''];
    for (var i = 0; i < prefs.length; i++) {
      var p = String(prefs[i]).toLowerCase();
      if (/^zh-(cn|sg|hans)/.test(p)) return 'zh_Hans_CN';
      if (/^zh/.test(p)) return 'zh_Hant_TW';
      if (/^en/.test(p)) return 'en';
    }
    return 'zh_Hant_TW';
  }

  function loadTexts(l) {
    return fetch('/api/i18n/' + l).then(function (r) {
      if (!r.ok) throw new Error('i18n ' + r.status);
      return r.json();
    }).then(function (j) { texts = j || {}; });
  }

  /* The static parts of the shell (data-t holds the msgid) */
  function translateShell() {
    document.documentElement.lang = HTML_LANG[lang];
    var els = document.querySelectorAll('[data-t]');
    for (var i = 0; i < els.length; i++) els[i].textContent = t(els[i].getAttribute('data-t'));
    var nav = document.getElementById('site-nav');
    if (nav) nav.setAttribute('aria-label', t('Site'));
    document.getElementById('lang-select').value = lang;
  }

  /* ---- DOM ------------------------------------------------------------------------------ */

  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'text') el.textContent = v;
        else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? '' : v);
      });
    }
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }

  function add(el, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) c.forEach(function (x) { add(el, x); });
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }

  function link(href, text, attrs) {
    var a = h('a', attrs || {}, text);
    a.setAttribute('href', href);
    return a;
  }

  function show() {
    main.textContent = '';
    for (var i = 0; i < arguments.length; i++) add(main, arguments[i]);
  }

  function title(s) {
    document.title = s + ' · ' + t('Open Data Portal');
  }

  function errorBox(err) {
    var msg = err && err.notFound ? t('Not found') : t('The data could not be loaded.');
    return h('div', { 'class': 'error', role: 'alert' }, h('p', { text: msg }),
             err && err.detail ? h('p', { 'class': 'small', text: err.detail }) : null);
  }

  /* ---- the APIs ------------------------------------------------------------------------- */

  function qs(params) {
    var u = new URLSearchParams();
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (v === undefined || v === null || v === '') return;
      if (Array.isArray(v)) v.forEach(function (x) { u.append(k, x); });
      else u.append(k, typeof v === 'object' ? JSON.stringify(v) : v);
    });
    return u.toString();
  }

  function actionUrl(action, params, prefix) {
    var q = qs(params || {});
    return (prefix || '') + '/api/3/action/' + action + (q ? '?' + q : '');
  }

  /* A CKAN action's result; rejects with {notFound, detail} */
  function api(action, params) {
    return fetch(actionUrl(action, params, API_PREFIX[lang])).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (r.ok && body.success) return body.result;
        var e = body.error || {};
        throw { notFound: r.status === 404 || r.status === 403, detail: e.message || String(r.status) };
      });
    });
  }

  function extra(pkg, key) {
    var ex = pkg.extras || [];
    for (var i = 0; i < ex.length; i++) if (ex[i].key === key) return ex[i].value;
    return '';
  }

  function enc(s) { return encodeURIComponent(s); }

  /* ---- shared pieces ---------------------------------------------------------------------- */

  function searchForm(q) {
    var input = h('input', { type: 'search', id: 'q', name: 'q', value: q || '',
                             placeholder: t('e.g. 空氣品質') });
    return h('form', { 'class': 'search', role: 'search', action: '/dataset', method: 'get' },
             h('label', { 'for': 'q', text: t('Search datasets') }),
             h('div', { 'class': 'row' }, input, h('button', { type: 'submit', text: t('Search') })));
  }

  function datasetItem(pkg) {
    var formats = {};
    (pkg.resources || []).forEach(function (r) { if (r.format) formats[r.format] = 1; });
    var notes = (pkg.notes || '').slice(0, 180);
    return h('li', { 'class': 'dataset' },
             h('h3', null, link('/dataset/' + enc(pkg.name), pkg.title || pkg.name)),
             pkg.organization ? h('p', { 'class': 'org', text: pkg.organization.title }) : null,
             notes ? h('p', { text: notes + ((pkg.notes || '').length > 180 ? '…' : '') }) : null,
             h('ul', { 'class': 'formats', 'aria-label': t('Formats') },
               Object.keys(formats).map(function (f) { return h('li', { text: f }); })));
  }

  function datasetList(results) {
    if (!results.length) return h('p', { text: t('No datasets found.') });
    return h('ul', { 'class': 'datasets' }, results.map(datasetItem));
  }

  /* ---- pages ------------------------------------------------------------------------------ */

  function pageHome() {
    title(t('Home'));
    return api('package_search', { rows: 5, sort: 'metadata_modified desc',
                                   'facet.field': JSON.stringify(['organization', 'groups']),
                                   'facet.limit': 50 }).then(function (s) {
      var groups = (s.search_facets.groups || { items: [] }).items.slice().sort(byCount);
      show(h('h1', { text: t('Open Data Portal') }),
           h('p', { 'class': 'lead', text: tf('{n} datasets from {o} organizations, free to use.',
                                              { n: s.count, o: (s.search_facets.organization || { items: [] }).items.length }) }),
           searchForm(''),
           h('section', { 'aria-labelledby': 'h-cat' },
             h('h2', { id: 'h-cat', text: t('Categories') }),
             h('ul', { 'class': 'chips' }, groups.map(function (g) {
               return h('li', null, link('/dataset?groups=' + enc(g.name), g.display_name + ' (' + g.count + ')'));
             }))),
           h('section', { 'aria-labelledby': 'h-new' },
             h('h2', { id: 'h-new', text: t('Recently updated') }), datasetList(s.results)),
           h('section', { 'aria-labelledby': 'h-api' },
             h('h2', { id: 'h-api', text: t('For developers') }),
             h('p', null, t('Every page here is built from public APIs: '),
               link('/api-guide', t('API guide')), '.')));
    });
  }

  function byCount(a, b) { return b.count - a.count || String(a.display_name).localeCompare(b.display_name); }

  function pageSearch() {
    var params = new URLSearchParams(location.search);
    var q = params.get('q') || '';
    var page = Math.max(1, parseInt(params.get('page'), 10) || 1);
    var fq = [];
    FACETS.forEach(function (f) {
      params.getAll(f[0]).forEach(function (v) { fq.push(f[0] + ':"' + v.replace(/["\\]/g, '\\$&') + '"'); });
    });
    title(q ? tf('Search: {q}', { q: q }) : t('Datasets'));
    return api('package_search', {
      q: q, fq: fq.join(' '), rows: ROWS, start: (page - 1) * ROWS,
      'facet.field': JSON.stringify(FACETS.map(function (f) { return f[0]; })), 'facet.limit': 20
    }).then(function (s) {
      show(h('h1', { text: t('Datasets') }), searchForm(q),
           h('div', { 'class': 'cols' },
             h('aside', { 'aria-label': t('Filters') }, FACETS.map(function (f) { return facetBlock(f, s, params); })),
             h('section', { 'aria-labelledby': 'h-results' },
               h('h2', { id: 'h-results', 'aria-live': 'polite', text: tf('{n} datasets found', { n: s.count }) }),
               activeFilters(params), datasetList(s.results), pager(page, s.count, params))));
    });
  }

  function withParams(params, change) {
    var p = new URLSearchParams(params.toString());
    p.delete('page');
    change(p);
    var s = p.toString();
    return '/dataset' + (s ? '?' + s : '');
  }

  function facetBlock(f, s, params) {
    var items = ((s.search_facets[f[0]] || {}).items || []).slice().sort(byCount);
    var chosen = params.getAll(f[0]);
    var id = 'facet-' + f[0];
    return h('section', { 'class': 'facet', 'aria-labelledby': id },
             h('h2', { id: id, text: t(f[1]) }),
             items.length ? h('ul', null, items.map(function (it) {
               var on = chosen.indexOf(it.name) >= 0;
               var href = withParams(params, function (p) {
                 if (on) {
                   var rest = p.getAll(f[0]).filter(function (v) { return v !== it.name; });
                   p.delete(f[0]);
                   rest.forEach(function (v) { p.append(f[0], v); });
                 } else p.append(f[0], it.name);
               });
               return h('li', null, link(href, (it.display_name || it.name) + ' (' + it.count + ')',
                                         { 'aria-current': on ? 'true' : null, 'class': on ? 'on' : null }));
             })) : h('p', { 'class': 'small', text: t('None') }));
  }

  function activeFilters(params) {
    var chips = [];
    FACETS.forEach(function (f) {
      params.getAll(f[0]).forEach(function (v) {
        chips.push(h('li', null, link(withParams(params, function (p) {
          var rest = p.getAll(f[0]).filter(function (x) { return x !== v; });
          p.delete(f[0]);
          rest.forEach(function (x) { p.append(f[0], x); });
        }), t(f[1]) + ': ' + v + ' ×', { 'aria-label': tf('Remove filter {f}', { f: v }) })));
      });
    });
    return chips.length ? h('ul', { 'class': 'chips active' }, chips) : null;
  }

  function pager(page, count, params) {
    var last = Math.max(1, Math.ceil(count / ROWS));
    if (last === 1) return null;
    function to(n) {
      var p = new URLSearchParams(params.toString());
      p.set('page', n);
      return '/dataset?' + p.toString();
    }
    return h('nav', { 'class': 'pager', 'aria-label': t('Pages') },
             page > 1 ? link(to(page - 1), t('Previous'), { rel: 'prev' }) : null,
             h('span', { text: tf('Page {p} of {n}', { p: page, n: last }) }),
             page < last ? link(to(page + 1), t('Next'), { rel: 'next' }) : null);
  }

  /* Metadata rows: [extra key or dict field, 中文 label, English label] */
  var META = [
    ['identifier', '資料集識別碼', 'Identifier'],
    ['organization', '提供機關', 'Organization'],
    ['publisher', '資料提供屬性', 'Publisher'],
    ['categoryCode', '服務分類', 'Category code'],
    ['license', '授權方式', 'License'],
    ['licenseURL', '授權說明網址', 'License URL'],
    ['cost', '計費方式', 'Cost'],
    ['accrualPeriodicity', '更新頻率', 'Update frequency'],
    ['issued', '上架日期', 'Issued'],
    ['modified', '詮釋資料更新時間', 'Modified'],
    ['temporalCoverageFrom', '資料起始日期', 'Temporal coverage from'],
    ['temporalCoverageTo', '資料截止日期', 'Temporal coverage to'],
    ['spatial', '涵蓋範圍', 'Spatial coverage'],
    ['language', '資料語系', 'Language'],
    ['numberOfData', '資料量', 'Number of records'],
    ['fieldDescription', '主要欄位說明', 'Field description'],
    ['landingPage', '相關網址', 'Landing page'],
    ['publisherContactName', '提供機關聯絡人', 'Contact'],
    ['publisherContactPhone', '提供機關聯絡人電話', 'Contact phone'],
    ['publisherContactEmail', '提供機關聯絡人電子郵件', 'Contact email'],
    ['remarks', '備註', 'Remarks']
  ];

  function metaLabel(zh, en) {
    return h('th', { scope: 'row' }, h('span', { lang: 'zh-Hant-TW', text: zh }), ' ',
             h('span', { lang: 'en', 'class': 'en', text: en }));
  }

  function metaValue(v) {
    if (/^https?:\/\//.test(v)) return link(v, v, { rel: 'nofollow' });
    return v;
  }

  function pageDataset(name) {
    return api('package_show', { id: name }).then(function (pkg) {
      title(pkg.title || pkg.name);
      var ident = extra(pkg, 'identifier');
      var rows = META.map(function (m) {
        var v = extra(pkg, m[0]);
        return v ? h('tr', null, metaLabel(m[1], m[2]), h('td', null, metaValue(v))) : null;
      });
      show(breadcrumb([['/dataset', t('Datasets')]], pkg.title || pkg.name),
           h('h1', { text: pkg.title || pkg.name }),
           ident ? h('p', { 'class': 'ident' }, h('span', { text: t('Taiwan dataset identifier') + ': ' }),
                     h('code', { id: 'tw-identifier', text: ident })) : null,
           pkg.organization ? h('p', null, t('Organization') + ': ',
                                link('/organization/' + enc(pkg.organization.name), pkg.organization.title)) : null,
           pkg.notes ? h('p', { 'class': 'notes', text: pkg.notes }) : null,
           (pkg.groups || []).length ? h('p', null, t('Categories') + ': ', (pkg.groups || []).map(function (g, i) {
             return [i ? ', ' : '', link('/group/' + enc(g.name), g.display_name || g.title || g.name)];
           })) : null,
           (pkg.tags || []).length ? h('ul', { 'class': 'chips', 'aria-label': t('Tags') }, pkg.tags.map(function (tg) {
             return h('li', null, link('/dataset?tags=' + enc(tg.name), tg.display_name || tg.name));
           })) : null,
           h('section', { 'aria-labelledby': 'h-res' },
             h('h2', { id: 'h-res', text: t('Data and resources') }),
             h('ul', { 'class': 'resources', id: 'resources' }, (pkg.resources || []).map(function (r) {
               return resourceItem(pkg, r);
             }))),
           h('section', { 'aria-labelledby': 'h-meta' },
             h('h2', { id: 'h-meta', text: t('Metadata') }),
             h('table', { 'class': 'meta' }, h('caption', { text: t('Metadata') + ' (中文 / English)' }),
               h('tbody', null, rows))),
           h('section', { 'aria-labelledby': 'h-apis' },
             h('h2', { id: 'h-apis', text: t('This dataset in the APIs') }),
             h('ul', { 'class': 'apis' },
               h('li', null, 'CKAN: ', link(actionUrl('package_show', { id: pkg.name }), 'package_show')),
               ident ? h('li', null, t('Taiwan API') + ': ', link(sru + '/rest/dataset/' + enc(ident), sru + '/rest/dataset/' + ident)) : null,
               h('li', null, 'CKAN API v2: ', link('/api/2/rest/dataset/' + enc(pkg.name), '/api/2/rest/dataset/' + pkg.name)))));
    });
  }

  function resourceItem(pkg, r) {
    var page = '/dataset/' + enc(pkg.name) + '/resource/' + enc(r.id);
    return h('li', null,
             h('h3', null, link(page, r.name || r.id)),
             r.format ? h('span', { 'class': 'badge', text: r.format }) : null,
             r.description && r.description !== r.name ? h('p', { text: r.description }) : null,
             h('p', { 'class': 'links' },
               link(page, r.datastore_active ? t('Preview') : t('Details')),
               r.url ? [' · ', link(r.url, t('Download'), { rel: 'nofollow' })] : null,
               r.datastore_active ? [' · ', link('/datastore/dump/' + enc(r.id) + '?format=csv', 'CSV'),
                                     ' · ', link('/datastore/dump/' + enc(r.id) + '?format=json', 'JSON'),
                                     ' · ', link('/datastore/dump/' + enc(r.id) + '?format=xml', 'XML')] : null));
  }

  function breadcrumb(items, here) {
    return h('nav', { 'class': 'crumbs', 'aria-label': t('Breadcrumb') },
             h('ol', null, h('li', null, link('/', t('Home'))),
               items.map(function (it) { return h('li', null, link(it[0], it[1])); }),
               h('li', { 'aria-current': 'page', text: here })));
  }

  function pageResource(name, rid) {
    var offset0 = Math.max(0, ((parseInt(new URLSearchParams(location.search).get('page'), 10) || 1) - 1) * PREVIEW);
    return api('package_show', { id: name }).then(function (pkg) {
      var r = (pkg.resources || []).filter(function (x) { return x.id === rid; })[0];
      if (!r) throw { notFound: true, detail: rid };
      title(r.name || r.id);
      var id = enc(r.id);
      var dumps = ['csv', 'json', 'xml'].map(function (f) {
        return h('li', null, link('/datastore/dump/' + id + '?format=' + f, f.toUpperCase(), { 'class': 'dump-' + f }));
      });
      show(breadcrumb([['/dataset', t('Datasets')], ['/dataset/' + enc(pkg.name), pkg.title || pkg.name]], r.name || r.id),
           h('h1', { text: r.name || r.id }),
           r.description && r.description !== r.name ? h('p', { text: r.description }) : null,
           h('p', null, r.format ? h('span', { 'class': 'badge', text: r.format }) : null, ' ',
             r.url ? link(r.url, t('Download the original file'), { rel: 'nofollow' }) : null),
           r.datastore_active ? h('section', { 'aria-labelledby': 'h-dl' },
             h('h2', { id: 'h-dl', text: t('Download the data') }),
             h('ul', { 'class': 'chips' }, dumps,
               h('li', null, link(sru + '/dump/datastore/' + id, t('Taiwan API ZIP'), { 'class': 'dump-tw' }))),
             h('p', { 'class': 'small' }, t('API') + ': ',
               link(actionUrl('datastore_search', { resource_id: r.id, limit: 5 }), 'datastore_search'), ' · ',
               link(sru + '/rest/datastore/' + id, sru + '/rest/datastore/' + r.id))) : null,
           h('section', { 'aria-labelledby': 'h-preview' },
             h('h2', { id: 'h-preview', text: t('Data preview') }),
             r.datastore_active ? h('div', { id: 'preview' }) :
               h('p', { text: t('This resource has no data in the DataStore to preview.') })));
      if (r.datastore_active) return previewPage(r.id, offset0);
    });
  }

  /* One page of the DataStore table, with its pager; the URL keeps the page (?page=N) */
  function previewPage(rid, offset) {
    var box = document.getElementById('preview');
    return api('datastore_search', { resource_id: rid, limit: PREVIEW, offset: offset })
      .then(function (d) {
        var fields = d.fields.filter(function (f) { return f.id !== '_id'; });
        var total = d.total, last = Math.min(offset + d.records.length, total);
        var status = total ? tf('Rows {a}–{b} of {n}', { a: offset + 1, b: last, n: total }) : t('No rows');
        var table = h('table', { 'class': 'preview' },
          h('caption', { text: t('Data preview') + ': ' + status }),
          h('thead', null, h('tr', null, h('th', { scope: 'col', text: '#' }),
            fields.map(function (f) { return h('th', { scope: 'col', text: f.id }); }))),
          h('tbody', null, d.records.map(function (rec) {
            return h('tr', null, h('th', { scope: 'row', text: rec._id }),
              fields.map(function (f) { var v = rec[f.id]; return h('td', { text: v === null || v === undefined ? '' : v }); }));
          })));
        function go(n) {
          return function () {
            var p = new URLSearchParams(location.search);
            p.set('page', Math.floor(n / PREVIEW) + 1);
            history.replaceState(null, '', location.pathname + '?' + p.toString());
            previewPage(rid, n).then(function () {
              var b = document.getElementById(n > offset ? 'preview-next' : 'preview-prev');
              (b && !b.disabled ? b : document.getElementById('preview-status')).focus();
            }, function (e) { box.textContent = ''; add(box, errorBox(e)); });
          };
        }
        box.textContent = '';
        add(box, [
          h('div', { 'class': 'scroll', tabindex: '0', role: 'region', 'aria-label': t('Data preview') + ': ' + status }, table),
          h('div', { 'class': 'pager' },
            h('button', { type: 'button', id: 'preview-prev', disabled: offset <= 0, onclick: go(Math.max(0, offset - PREVIEW)), text: t('Previous') }),
            h('span', { id: 'preview-status', role: 'status', tabindex: '-1', text: status }),
            h('button', { type: 'button', id: 'preview-next', disabled: last >= total, onclick: go(offset + PREVIEW), text: t('Next') }))
        ]);
      });
  }

  function pageOrgs(kind) {
    var isOrg = kind === 'organization';
    title(t(isOrg ? 'Organizations' : 'Categories'));
    return api(isOrg ? 'organization_list' : 'group_list', { all_fields: true, limit: 1000 }).then(function (list) {
      list.sort(function (a, b) { return b.package_count - a.package_count; });
      show(h('h1', { text: t(isOrg ? 'Organizations' : 'Categories') }),
           h('ul', { 'class': 'cards' }, list.map(function (g) {
             return h('li', null, h('h2', null, link('/' + kind + '/' + enc(g.name), g.display_name || g.title || g.name)),
                      h('p', { text: tf('{n} datasets', { n: g.package_count }) }));
           })));
    });
  }

  function pageOrg(kind, name) {
    var isOrg = kind === 'organization';
    return api(isOrg ? 'organization_show' : 'group_show', { id: name, include_datasets: false }).then(function (g) {
      title(g.display_name || g.title || g.name);
      var filter = (isOrg ? 'organization' : 'groups') + '=' + enc(g.name);
      return api('package_search', { fq: (isOrg ? 'organization' : 'groups') + ':"' + g.name + '"', rows: ROWS })
        .then(function (s) {
          show(breadcrumb([['/' + kind, t(isOrg ? 'Organizations' : 'Categories')]], g.display_name || g.title || g.name),
               h('h1', { text: g.display_name || g.title || g.name }),
               g.description ? h('p', { text: g.description }) : null,
               h('h2', { text: tf('{n} datasets', { n: s.count }) }),
               datasetList(s.results),
               s.count > s.results.length ? h('p', null, link('/dataset?' + filter, t('All datasets'))) : null,
               h('p', { 'class': 'small' }, 'API: ', link(actionUrl(isOrg ? 'organization_show' : 'group_show', { id: g.name }),
                                                          isOrg ? 'organization_show' : 'group_show')));
        });
    });
  }

  /* YYYYMMDD of today plus n days (the archive's day parameters) */
  function day(n) {
    var d = new Date(Date.now() + n * 86400000);
    return String(d.getFullYear() * 10000 + (d.getMonth() + 1) * 100 + d.getDate());
  }

  /* The APIs with links that work on this server: real names taken from the catalogue */
  function pageApis() {
    title(t('APIs'));
    return api('package_search', { rows: 50 }).then(function (s) {
      var pkg = s.results[0] || { name: 'NAME', extras: [], resources: [] };
      var res = null;
      s.results.forEach(function (p) {
        (p.resources || []).forEach(function (r) { if (!res && r.datastore_active) { res = r; pkg = p; } });
      });
      var rid = res ? res.id : ((pkg.resources || [])[0] || { id: 'RESOURCE_ID' }).id;
      var ident = extra(pkg, 'identifier') || 'IDENTIFIER';
      var filterQ = JSON.stringify({ resource: rid, format: 'json', filters: [] });
      function sect(id, head, about, links) {
        return h('section', { 'aria-labelledby': id }, h('h2', { id: id, text: head }),
                 about ? h('p', { text: about }) : null,
                 h('ul', { 'class': 'apis' }, links.map(function (l) {
                   return h('li', null, link(l[0], l[1] || l[0]), l[2] ? ' — ' + l[2] : null);
                 })));
      }
      show(h('h1', { text: t('APIs') }),
           h('p', { 'class': 'lead', text: t('Every API answers in JSON over plain HTTP GET; the links below run on this server.') }),
           sect('h-openapi', t('API description'), t('An OpenAPI description of the APIs.'),
                [['/api/openapi.json']]),
           sect('h-ckan', t('CKAN Action API (v3)'), t('Compatible with CKAN 2.11: the same actions, parameters and answers.'), [
             [actionUrl('package_search', { q: '資料', rows: 5 })],
             [actionUrl('package_show', { id: pkg.name })],
             [actionUrl('organization_list', { all_fields: true })],
             [actionUrl('group_list')],
             [actionUrl('tag_list')],
             [actionUrl('status_show')],
             [actionUrl('help_show', { name: 'package_search' })]]),
           sect('h-ds', t('DataStore'), t('Rows of tabular resources: search, filter, page, and whole dumps.'), [
             [actionUrl('datastore_search', { resource_id: rid, limit: 5 })],
             [actionUrl('datastore_info', { id: rid })],
             ['/datastore/dump/' + enc(rid) + '?format=csv'],
             ['/datastore/dump/' + enc(rid) + '?format=json'],
             ['/datastore/dump/' + enc(rid) + '?format=xml']]),
           sect('h-tw', t('Taiwan open data API'), t('The national platform API: datasets, categories, tags, data and ZIP dumps.'), [
             [sru + '/rest/dataset'],
             [sru + '/rest/dataset/' + enc(ident)],
             [sru + '/rest/group'],
             [sru + '/rest/tag'],
             [sru + '/rest/datastore/' + enc(rid) + '?limit=5'],
             [sru + '/dump/datastore/' + enc(rid)]]),
           sect('h-legacy', t('CKAN API v1/v2'), t('The older REST and search API, for clients written for it.'), [
             ['/api/2/rest/dataset'],
             ['/api/2/rest/dataset/' + enc(pkg.name)],
             ['/api/2/search/dataset?q=' + enc('資料')]]),
           sect('h-hk', t('Hong Kong style APIs'), t('The Data Filtering API, the historical archive and the language sites.'), [
             ['/v2/filter?q=' + enc(filterQ), '/v2/filter?q=' + filterQ],
             ['/v1/historical-archive/list-files?start=' + day(-30) + '&end=' + day(-1)],
             ['/en-data/api/3/action/package_show?id=' + enc(pkg.name)],
             ['/sc-data/api/3/action/package_show?id=' + enc(pkg.name)]]),
           sect('h-i18n', t('Page texts'), t('The texts of these pages, in the shape of CKAN /api/i18n.'), [
             ['/api/i18n/zh_Hant_TW'], ['/api/i18n/en'], ['/api/i18n/zh_Hans_CN']]));
    });
  }

  /* ---- routing ---------------------------------------------------------------------------- */

  function route() {
    var parts = location.pathname.replace(/\/+$/, '').split('/').slice(1).map(function (s) {
      try { return decodeURIComponent(s); } catch (e) { return s; }
    });
    if (!parts.length || parts[0] === '') return pageHome();
    if (parts[0] === 'dataset') {
      if (parts.length === 1) return pageSearch();
      if (parts.length === 2) return pageDataset(parts[1]);
      if (parts.length === 4 && parts[2] === 'resource') return pageResource(parts[1], parts[3]);
    }
    if (parts[0] === 'organization' || parts[0] === 'group') {
      if (parts.length === 1) return pageOrgs(parts[0]);
      if (parts.length === 2) return pageOrg(parts[0], parts[1]);
    }
    if (parts[0] === 'api-guide') return pageApis();
    return Promise.reject({ notFound: true });
  }

  function render() {
    main.setAttribute('aria-busy', 'true');
    return route().catch(function (err) {
      title(t(err && err.notFound ? 'Not found' : 'Error'));
      show(h('h1', { text: t(err && err.notFound ? 'Not found' : 'Error') }), errorBox(err),
           h('p', null, link('/', t('Home'))));
    }).then(function () {
      main.removeAttribute('aria-busy');
      document.body.setAttribute('data-ready', lang);
    });
  }

  function start(l) {
    lang = l;
    document.body.removeAttribute('data-ready');
    return loadTexts(lang).catch(function () { texts = {}; }).then(function () {
      translateShell();
      return render();
    });
  }

  document.getElementById('lang-select').addEventListener('change', function (e) {
    try { localStorage.setItem('od-lang', e.target.value); } catch (x) { /* storage off */ }
    var p = new URLSearchParams(location.search);
    if (p.has('lang')) {
      p.set('lang', e.target.value);
      history.replaceState(null, '', location.pathname + '?' + p.toString());
    }
    start(e.target.value);
  });

  start(pickLang());
})();
