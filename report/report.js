/*
 * report.js - the behaviour of memtrace-reader's HTML report: reads the
 * data block (reader/html.c writes it), lists the processes, and draws with
 * uPlot the processes picked (the 10 of highest peak RSS at first), the
 * machine and the cgroups, on one shared time axis with the ranges of lost
 * records and missed ticks on every chart.
 *
 * The data (JSON in <script id="mt-data">):
 *   start_real_ns       wall-clock time of the session's start (0: unknown)
 *   t_min, t_max        the span of the records, seconds since the start
 *   points_max          the most points a series has (html.h)
 *   ranges[]            {kind, cpu, t0, t1, count}: lost records or, kind
 *                       "missed ticks", ticks the sampler missed
 *   procs[]             {pid, gen, comm, peak_rss_kb, idle_s[], series}
 *                       (gen: 1, or 2.. for the later processes of a
 *                       reused pid)
 *   system              series of the machine (or null)
 *   cgroups[]           {id, path, peak_kb, series}
 * and a series is {rows, n, cols[], b}: rows samples, drawn as n points
 * (fewer than rows: each pair is a bucket's minimum and maximum); b is
 * base64 of float64 times (n) then one array of n per name in cols:
 * uint32 kB (0xffffffff: no value) for names ending in _kb, float64 kB
 * (NaN: no value) for those also in the series' "wide" (a figure of 4 TiB
 * or more), else float32 (NaN: no value).
 *
 * For tests and the curious, window.mtReport holds the state (see the end).
 */
'use strict';

(function () {
	/* performance marks, to see where opening the report spends its time */
	performance.mark('js-start');
	const data = JSON.parse(document.getElementById('mt-data').textContent);
	performance.mark('json-parsed');
	const KB_NONE = 0xffffffff;
	const TOP = 10;			/* processes drawn at first */
	const PICK_MAX = 50;		/* processes a search draws at most */
	const SYNC = uPlot.sync('memtrace');

	/* ---- decoding ---------------------------------------------------- */

	/* A series' columns: {t: number[], cols: {name: (number|null)[]}}. */
	function decode(s) {
		if (s.decoded)
			return s.decoded;
		const bin = atob(s.b);
		const bytes = new Uint8Array(bin.length);
		for (let i = 0; i < bin.length; i++)
			bytes[i] = bin.charCodeAt(i);
		const n = s.n;
		const t = Array.from(new Float64Array(bytes.buffer, 0, n));
		const cols = {};
		const wide = new Set(s.wide || []);
		let off = 8 * n;
		for (const name of s.cols) {
			const kb = name.endsWith('_kb') && !wide.has(name);
			/* a float64 column may start off 8-byte alignment: copied */
			const arr = kb ? new Uint32Array(bytes.buffer, off, n) :
				wide.has(name) ? new Float64Array(bytes.buffer.slice(off, off + 8 * n)) :
				new Float32Array(bytes.buffer, off, n);
			const out = new Array(n);
			for (let i = 0; i < n; i++) {
				const v = arr[i];
				out[i] = kb ? (v === KB_NONE ? null : v) :
					(Number.isNaN(v) ? null : v);
			}
			cols[name] = out;
			off += arr.BYTES_PER_ELEMENT * n;
		}
		s.decoded = { t, cols };
		return s.decoded;
	}

	/* ---- formatting -------------------------------------------------- */

	function fmtKB(kb) {
		if (kb == null)
			return '-';
		const units = ['KiB', 'MiB', 'GiB', 'TiB'];
		let v = kb, u = 0;
		while (Math.abs(v) >= 1024 && u < units.length - 1) {
			v /= 1024;
			u++;
		}
		return (u ? v.toFixed(v < 10 ? 2 : 1) : v.toFixed(0)) + ' ' + units[u];
	}

	function fmtNum(v, digits) {
		if (v == null)
			return '-';
		return v.toLocaleString('en-US', { maximumFractionDigits: digits });
	}

	function fmtSec(s) {
		return s == null ? '-' : s.toFixed(3) + ' s';
	}

	function esc(s) {
		return String(s).replace(/[&<>"]/g, c =>
			({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
	}

	/* ---- the shared time axis ---------------------------------------- */

	/* The whole span (padded when every record has the same time). */
	const full = { min: data.t_min, max: data.t_max };
	if (!(full.max > full.min)) {
		full.min -= 0.5;
		full.max += 0.5;
	}
	let view = { min: full.min, max: full.max };
	const allCharts = new Set();

	/*
	 * Every chart shows [min, max] (a zoom in one of them, or a reset).
	 * The x scales' range is view, so that uPlot's own re-ranging keeps it.
	 */
	function setView(min, max) {
		view = { min, max };
		for (const u of allCharts)
			u.setScale('x', { min, max });
	}

	function resetZoom() {
		setView(full.min, full.max);
	}

	/* Draws the ranges of lost records and missed ticks (at least 2 px). */
	function rangesPlugin() {
		return {
			hooks: {
				draw: [u => {
					const ctx = u.ctx;
					const { left, top, width, height } = u.bbox;
					const px = Math.max(1, devicePixelRatio || 1);
					let drawn = 0;

					ctx.save();
					ctx.beginPath();
					ctx.rect(left, top, width, height);
					ctx.clip();
					for (const r of data.ranges) {
						let x0 = u.valToPos(r.t0, 'x', true);
						let x1 = u.valToPos(r.t1, 'x', true);
						if (x1 < left || x0 > left + width)
							continue;
						if (x1 - x0 < 2 * px) {
							const mid = (x0 + x1) / 2;
							x0 = mid - px;
							x1 = mid + px;
						}
						ctx.fillStyle = r.kind === 'missed ticks' ?
							'rgba(255,140,0,0.35)' : 'rgba(220,0,0,0.28)';
						ctx.fillRect(x0, top, x1 - x0, height);
						drawn++;
					}
					ctx.restore();
					u.mtRangesDrawn = drawn;
				}],
				/* a drag across the chart: every chart zooms to it */
				setSelect: [u => {
					const sel = u.select;
					if (sel.width >= 3)
						setView(u.posToVal(sel.left, 'x'),
							u.posToVal(sel.left + sel.width, 'x'));
					u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
				}],
			},
		};
	}

	function chartWidth(el) {
		return Math.max(300, el.clientWidth - 8);
	}

	/*
	 * Charts are made when they come near the viewport: a page of 30
	 * charts opens as fast as one of the few in view.  A chart's handle:
	 * {box, u (the uPlot, or null until made), make()}.
	 */
	const lazy = new IntersectionObserver(entries => {
		for (const e of entries)
			if (e.isIntersecting)
				e.target.mtChart.make();
	}, { rootMargin: '300px 0px' });

	/*
	 * A chart in a new element under @parent, titled @title: @series
	 * (after the time series) and @table (times first) as uPlot takes
	 * them; @axes: the y axes after the time axis; @scales: the y scales.
	 */
	function makeChart(parent, title, series, table, axes, scales) {
		const box = document.createElement('div');
		box.className = 'chart pending';
		const h = document.createElement('div');
		h.className = 'chart-title';
		h.textContent = title;
		box.appendChild(h);
		parent.appendChild(box);
		const chart = { box, u: null, table, dropped: false };
		chart.make = () => {
			if (chart.u || chart.dropped)
				return chart.u;
			lazy.unobserve(box);
			box.classList.remove('pending');
			const opts = {
				width: chartWidth(parent),
				height: 170,
				plugins: [rangesPlugin()],
				cursor: {
					sync: { key: SYNC.key },
					drag: { x: true, y: false, setScale: false },
					bind: {
						dblclick: () => () => {
							resetZoom();
							return null;
						},
					},
				},
				scales: Object.assign({
					x: { time: false, range: () => [view.min, view.max] },
				}, scales || {}),
				axes: [{ label: 's since start', size: 40 }].concat(axes),
				series: [{ label: 'time', value: (u, v) => fmtSec(v) }].concat(series),
				legend: { live: true },
			};
			chart.u = new uPlot(opts, table, box);
			allCharts.add(chart.u);
			return chart.u;
		};
		chart.drop = () => {
			chart.dropped = true;
			lazy.unobserve(box);
			if (chart.u) {
				allCharts.delete(chart.u);
				chart.u.destroy();
			}
		};
		box.mtChart = chart;
		lazy.observe(box);
		return chart;
	}

	/* kB axes step by 1, 2 or 5 times a power of 1024 (KiB, MiB, ...) */
	const kbIncrs = [];
	for (const base of [1, 1024, 1024 * 1024, 1024 * 1024 * 1024])
		for (const m of [1, 2, 5, 10, 20, 50, 100, 200, 500])
			kbIncrs.push(m * base);
	const kbAxis = { values: (u, vals) => vals.map(fmtKB), size: 80, incrs: kbIncrs };

	function rateAxis(label, scale, side) {
		return {
			label, scale, side: side || 3, size: 60,
			values: (u, vals) => vals.map(v => fmtNum(v, 1)),
			grid: { show: side !== 1 },
		};
	}

	/* ---- one process ------------------------------------------------- */

	const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd',
		'#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

	/*
	 * A process's key: its pid, or "pid/gen" for a later process of a
	 * reused pid (gen > 1).
	 */
	const keyOf = p => (p.gen > 1 ? `${p.pid}/${p.gen}` : p.pid);
	/* The pid as shown, with "#gen" for a later process of a reused pid. */
	const pidLabel = p => (p.gen > 1 ? `${p.pid} #${p.gen}` : `${p.pid}`);

	/* The charts of the processes drawn: key -> {mem, faults, cpu, section}. */
	const procCharts = new Map();

	function sumCols(a, b) {
		return a.map((v, i) => (v == null || b[i] == null ? null : v + b[i]));
	}

	function drawProc(p, parent) {
		const s = decode(p);
		const c = s.cols;
		const sec = document.createElement('section');
		sec.className = 'proc';
		sec.dataset.pid = p.pid;
		sec.dataset.key = keyOf(p);
		const note = p.n < p.rows ?
			`, drawn as ${p.n} points (each bucket's minimum and maximum)` : '';
		const reused = p.gen > 1 ? `, process ${p.gen} with pid ${p.pid} in this trace` : '';
		sec.innerHTML = `<h2>${pidLabel(p)} ${esc(p.comm)} <span class="sub">` +
			`peak RSS ${fmtKB(p.peak_rss_kb)}, ${p.rows} samples${note}${reused}</span></h2>`;
		parent.appendChild(sec);

		/* RSS stacked: anon at the bottom, then file, then shmem on top */
		const anon = c.anon_kb, file = c.file_kb, shmem = c.shmem_kb;
		const af = sumCols(anon, file), afs = sumCols(af, shmem);
		const raw = fn => (u, v, si, i) => (i == null ? '-' : fmtKB(fn(i)));
		const memSeries = [
			{ label: 'shmem', stroke: '#9467bd', fill: 'rgba(148,103,189,0.35)',
				value: raw(i => shmem[i]) },
			{ label: 'file', stroke: '#2ca02c', fill: 'rgba(44,160,44,0.35)',
				value: raw(i => file[i]) },
			{ label: 'anon', stroke: '#1f77b4', fill: 'rgba(31,119,180,0.45)',
				value: raw(i => anon[i]) },
			{ label: 'RSS', show: false, value: raw(i => afs[i]) },
			{ label: 'swap', stroke: '#d62728', width: 1.5, value: raw(i => c.swap_kb[i]) },
		];
		const memTable = [s.t, afs, af, anon, afs, c.swap_kb];
		const extra = [['wss_kb', 'WSS', '#ff7f0e'], ['pss_kb', 'PSS', '#8c564b']];
		(p.idle_s || []).forEach((age, k) =>
			extra.push([`idle${k}_kb`, `idle >= ${age} s`, COLORS[(6 + k) % COLORS.length]]));
		for (const [name, label, color] of extra) {
			if (!c[name])
				continue;
			memSeries.push({ label, stroke: color, width: 1.5, dash: [4, 3],
				spanGaps: true, points: { show: true, size: 3 },
				value: raw(i => c[name][i]) });
			memTable.push(c[name]);
		}
		const mem = makeChart(sec, 'Memory (RSS stacked: anon, file, shmem)',
			memSeries, memTable, [kbAxis]);

		const none = new Array(s.t.length).fill(null);
		const faults = makeChart(sec, 'Page faults per second', [
			{ label: 'minor/s', stroke: '#1f77b4', scale: 'minor',
				value: (u, v) => fmtNum(v, 1) },
			{ label: 'major/s', stroke: '#d62728', scale: 'major',
				value: (u, v) => fmtNum(v, 1) },
		], [s.t, c.minflt_per_s || none, c.majflt_per_s || none],
		[rateAxis('minor/s', 'minor'), rateAxis('major/s', 'major', 1)],
		{ minor: { range: (u, lo, hi) => [0, Math.max(1, hi)] },
			major: { range: (u, lo, hi) => [0, Math.max(1, hi)] } });

		const cpu = makeChart(sec, 'CPU % (utime + stime; 100 = one CPU)', [
			{ label: 'CPU %', stroke: '#2ca02c', fill: 'rgba(44,160,44,0.15)',
				value: (u, v) => fmtNum(v, 1) },
		], [s.t, c.cpu_pct || none], [rateAxis('%', 'y')],
		{ y: { range: (u, lo, hi) => [0, Math.max(100, hi)] } });

		procCharts.set(keyOf(p), { mem, faults, cpu, section: sec });
	}

	function dropCharts(entry) {
		for (const chart of [entry.mem, entry.faults, entry.cpu])
			chart.drop();
		entry.section.remove();
	}

	/* Make every chart not made yet (tests; printing). */
	function drawAll() {
		for (const box of document.querySelectorAll('.chart.pending'))
			box.mtChart.make();
	}

	/* ---- the picker -------------------------------------------------- */

	const procs = data.procs.slice().sort((a, b) =>
		b.peak_rss_kb - a.peak_rss_kb || a.pid - b.pid || a.gen - b.gen);
	const byKey = new Map(procs.map(p => [keyOf(p), p]));
	let selected = [];
	const boxes = new Map();

	/* Draw exactly @keys (in the list's order), keeping charts already drawn. */
	function select(keys) {
		const want = new Set(keys);
		selected = procs.filter(p => want.has(keyOf(p))).map(keyOf);
		for (const [key, entry] of procCharts)
			if (!want.has(key)) {
				dropCharts(entry);
				procCharts.delete(key);
			}
		const parent = document.getElementById('procs');
		for (const key of selected)
			if (!procCharts.has(key))
				drawProc(byKey.get(key), parent);
		/* sections in the list's order */
		for (const key of selected)
			parent.appendChild(procCharts.get(key).section);
		for (const [key, cb] of boxes)
			cb.checked = want.has(key);
		document.getElementById('pick-note').textContent =
			`${selected.length} of ${procs.length} drawn`;
	}

	function matches(p, q) {
		if (!q)
			return true;
		const pid = String(p.pid);
		if (/^\d+$/.test(q) && pid.startsWith(q))
			return true;
		return p.comm.toLowerCase().includes(q.toLowerCase());
	}

	/*
	 * Filter the list by @q; with @pick, draw the matches (an exact pid
	 * alone: its processes, more than one when the pid was reused).
	 */
	function search(q, pick) {
		q = q.trim();
		let hits = [];
		for (const p of procs) {
			const hit = matches(p, q);
			boxes.get(keyOf(p)).closest('li').hidden = !hit;
			if (hit)
				hits.push(keyOf(p));
		}
		if (!pick)
			return hits;
		const exact = /^\d+$/.test(q) ? procs.filter(p => p.pid === Number(q)) : [];
		if (exact.length)
			hits = exact.map(keyOf);
		select(hits.slice(0, PICK_MAX));
		return hits;
	}

	function buildPicker() {
		const list = document.getElementById('proc-list');
		const frag = document.createDocumentFragment();
		for (const p of procs) {
			const li = document.createElement('li');
			li.innerHTML = '<label><input type="checkbox">' +
				`<span class="pid">${pidLabel(p)}</span>` +
				`<span class="comm">${esc(p.comm)}</span>` +
				`<span class="peak">${fmtKB(p.peak_rss_kb)}</span></label>`;
			const cb = li.querySelector('input');
			cb.addEventListener('change', () => {
				const now = new Set(selected);
				if (cb.checked)
					now.add(keyOf(p));
				else
					now.delete(keyOf(p));
				select([...now]);
			});
			boxes.set(keyOf(p), cb);
			frag.appendChild(li);
		}
		list.appendChild(frag);
		const input = document.getElementById('search');
		input.addEventListener('input', () => search(input.value, false));
		input.addEventListener('keydown', e => {
			if (e.key === 'Enter')
				search(input.value, true);
		});
		document.getElementById('top10').addEventListener('click', () =>
			select(procs.slice(0, TOP).map(keyOf)));
		document.getElementById('none').addEventListener('click', () => select([]));
	}

	/* ---- the machine and the cgroups --------------------------------- */

	const sysCharts = [];
	const cgCharts = [];

	function drawSystem() {
		if (!data.system)
			return;
		const panel = document.getElementById('system-panel');
		panel.hidden = false;
		panel.innerHTML = `<h2>System <span class="sub">${data.system.rows} ticks</span></h2>`;
		const s = decode(data.system);
		const c = s.cols;
		const none = new Array(s.t.length).fill(null);
		const col = name => c[name] || none;
		const kbVal = (u, v) => fmtKB(v);
		const rateVal = (u, v) => fmtNum(v, 2);
		sysCharts.push(makeChart(panel, 'Memory', [
			{ label: 'MemAvailable', stroke: '#1f77b4', value: kbVal },
			{ label: 'MemFree', stroke: '#2ca02c', value: kbVal },
			{ label: 'swap used', stroke: '#d62728', value: kbVal },
		], [s.t, col('memavailable_kb'), col('memfree_kb'), col('swap_used_kb')],
		[kbAxis]));
		sysCharts.push(makeChart(panel, 'Pressure stall (PSI, % of time)', [
			{ label: 'memory some', stroke: '#ff7f0e', value: rateVal },
			{ label: 'memory full', stroke: '#d62728', value: rateVal },
			{ label: 'io some', stroke: '#7f7f7f', value: rateVal },
		], [s.t, col('psi_memory_some_pct'), col('psi_memory_full_pct'),
			col('psi_io_some_pct')], [rateAxis('%', 'y')],
		{ y: { range: (u, lo, hi) => [0, Math.max(1, hi)] } }));
		sysCharts.push(makeChart(panel, 'Refaults, swap-ins/outs, major faults per second', [
			{ label: 'refault anon', stroke: '#1f77b4', value: rateVal },
			{ label: 'refault file', stroke: '#2ca02c', value: rateVal },
			{ label: 'pswpin', stroke: '#9467bd', value: rateVal },
			{ label: 'pswpout', stroke: '#8c564b', value: rateVal },
			{ label: 'pgmajfault', stroke: '#d62728', value: rateVal },
		], [s.t, col('refault_anon_per_s'), col('refault_file_per_s'),
			col('pswpin_per_s'), col('pswpout_per_s'), col('pgmajfault_per_s')],
		[rateAxis('/s', 'y')], { y: { range: (u, lo, hi) => [0, Math.max(1, hi)] } }));
	}

	function drawCgroups() {
		if (!data.cgroups.length)
			return;
		const panel = document.getElementById('cgroup-panel');
		panel.hidden = false;
		const cgs = data.cgroups.slice().sort((a, b) => b.peak_kb - a.peak_kb).slice(0, TOP);
		panel.innerHTML = `<h2>Cgroups <span class="sub">${data.cgroups.length}` +
			(cgs.length < data.cgroups.length ? `, the ${cgs.length} of highest peak memory.current` : '') +
			'</span></h2>';
		const tables = cgs.map(g => {
			const s = decode(g);
			return [s.t, s.cols.memory_current_kb || s.t.map(() => null),
				s.cols.psi_memory_some_pct || s.t.map(() => null),
				s.cols.refault_file_per_s || s.t.map(() => null)];
		});
		/* one table on the union of the cgroups' times */
		const pick = k => uPlot.join(tables.map(t => [t[0], t[k]]));
		const series = fmt => cgs.map((g, i) => ({ label: g.path || '/',
			stroke: COLORS[i % COLORS.length], spanGaps: true, value: fmt }));
		cgCharts.push(makeChart(panel, 'memory.current', series((u, v) => fmtKB(v)),
			pick(1), [kbAxis]));
		cgCharts.push(makeChart(panel, 'memory.pressure some (% of time)',
			series((u, v) => fmtNum(v, 2)), pick(2), [rateAxis('%', 'y')],
			{ y: { range: (u, lo, hi) => [0, Math.max(1, hi)] } }));
		cgCharts.push(makeChart(panel, 'File refaults per second',
			series((u, v) => fmtNum(v, 1)), pick(3), [rateAxis('/s', 'y')],
			{ y: { range: (u, lo, hi) => [0, Math.max(1, hi)] } }));
	}

	/* The list of loss and missed-tick ranges. */
	function drawLosses() {
		if (!data.ranges.length)
			return;
		const sec = document.getElementById('losses');
		sec.hidden = false;
		const rows = data.ranges.slice(0, 200).map(r =>
			`<tr><td>${esc(r.kind)}</td><td>${r.cpu}</td><td>${fmtSec(r.t0)}</td>` +
			`<td>${fmtSec(r.t1)}</td><td>${r.count}</td></tr>`).join('');
		const more = data.ranges.length > 200 || data.ranges_dropped ?
			`<p>${data.ranges.length - Math.min(200, data.ranges.length) + data.ranges_dropped} more not listed</p>` : '';
		sec.innerHTML = '<h2>Lost records and missed ticks</h2>' +
			'<table><tr><th>what</th><th>CPU</th><th>from</th><th>to</th><th>count</th></tr>' +
			rows + '</table>' + more;
	}

	function drawSummary() {
		const samples = data.procs.reduce((a, p) => a + p.rows, 0);
		/* 'unread': left in the buffers after an output failed, which
		 * the session counts apart from the records lost */
		const lost = data.ranges.filter(r => r.kind !== 'missed ticks' && r.kind !== 'unread')
			.reduce((a, r) => a + r.count, 0);
		const unread = data.ranges.filter(r => r.kind === 'unread')
			.reduce((a, r) => a + r.count, 0);
		const missed = data.ranges.filter(r => r.kind === 'missed ticks')
			.reduce((a, r) => a + r.count, 0);
		const start = data.start_real_ns ?
			new Date(data.start_real_ns / 1e6).toISOString() + ', ' : '';
		document.getElementById('summary').textContent =
			`${start}${(data.t_max - data.t_min).toFixed(1)} s, ` +
			`${data.procs.length} processes, ${samples} samples, ` +
			`${lost} records lost, ` + (unread ? `${unread} records unread, ` : '') +
			`${missed} ticks missed`;
	}

	window.addEventListener('resize', () => {
		for (const u of allCharts)
			u.setSize({ width: chartWidth(u.root.parentNode.parentNode), height: 170 });
	});

	drawSummary();
	drawLosses();
	buildPicker();
	performance.mark('picker-built');
	drawSystem();
	drawCgroups();
	select(procs.slice(0, TOP).map(keyOf));
	performance.mark('drawn');

	/* The state, for tests (tests/view) and the browser's console. */
	window.mtReport = {
		data,
		decode,
		procCharts,
		sysCharts,
		cgCharts,
		allCharts,
		drawAll,
		drawSummary,
		selected: () => selected.slice(),
		select,
		search,
		view: () => Object.assign({}, view),
		resetZoom,
		zoom: setView,
		ready: true,
	};
})();
