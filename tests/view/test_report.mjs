// SPDX-License-Identifier: GPL-2.0
/*
 * test_report.mjs - memtrace-reader --html in a real browser: reports made
 * from known traces (build/mktrace) are opened in Debian's headless
 * chromium through playwright-core, and what the page holds is checked
 * against the CSV that the same reader writes from the same trace (and
 * against the values mktrace chose).  Any console error or page error
 * fails.  Screenshots are kept in $SCREENSHOTS (build/screenshots).
 *
 * Run by tests/view/Makefile (make -C tests/view check):
 *   MEMTRACE_READER=reader MKTRACE=build/mktrace SCREENSHOTS=dir \
 *   node --test --test-reporter=tap tests/view/test_report.mjs
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../../report/package.json'));
const { chromium } = require('playwright-core');

const READER = process.env.MEMTRACE_READER || join(here, '../../reader/memtrace-reader');
const MKTRACE = process.env.MKTRACE || join(here, '../../build/mktrace');
const SHOTS = process.env.SCREENSHOTS || join(here, '../../build/screenshots');
const T0_NS = 1000000000000n;		/* mktrace's session start */

let dir, browser;

/* RFC 4180 CSV (quotes, doubled quotes) to objects keyed by the header. */
function parseCsv(text) {
	const rows = [];
	let row = [], field = '', q = false;
	for (let i = 0; i < text.length; i++) {
		const ch = text[i];
		if (q) {
			if (ch === '"' && text[i + 1] === '"') {
				field += '"';
				i++;
			} else if (ch === '"') {
				q = false;
			} else {
				field += ch;
			}
		} else if (ch === '"') {
			q = true;
		} else if (ch === ',') {
			row.push(field);
			field = '';
		} else if (ch === '\n') {
			row.push(field);
			rows.push(row);
			row = [];
			field = '';
		} else {
			field += ch;
		}
	}
	const [head, ...body] = rows;
	return body.map(r => Object.fromEntries(head.map((h, i) => [h, r[i]])));
}

/* Seconds since mktrace's start of a CSV ts_ns. */
const sec = ts => Number(BigInt(ts) - T0_NS) / 1e9;

/*
 * A trace from mktrace @args, decoded by the reader into CSVs and the
 * report @name.html: {html, csv, sys, cg, stderr}.
 */
function makeReport(name, args) {
	const trace = join(dir, name + '.trace');
	writeFileSync(trace, execFileSync(MKTRACE, args, { maxBuffer: 1 << 30 }));
	const out = { html: join(dir, name + '.html') };
	const csv = join(dir, name + '.csv'), sys = join(dir, name + '-sys.csv');
	const cg = join(dir, name + '-cg.csv');
	execFileSync(READER, ['-i', trace, '-q', '--idle-ages', '10,60', '-o', csv, '--system', sys,
		'--cgroups', cg, '--html', out.html], { stdio: ['ignore', 'ignore', 'pipe'] });
	out.csv = parseCsv(readFileSync(csv, 'utf8'));
	out.sys = parseCsv(readFileSync(sys, 'utf8'));
	out.cg = parseCsv(readFileSync(cg, 'utf8'));
	return out;
}

/* The page of report @html, failing on console or page errors. */
async function open(t, html) {
	const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
	const errors = [];
	page.on('console', m => {
		if (m.type() === 'error')
			errors.push('console: ' + m.text());
	});
	page.on('pageerror', e => errors.push('page: ' + e.message));
	page.on('request', r => {
		if (!r.url().startsWith('file:'))
			errors.push('network request: ' + r.url());
	});
	await page.goto('file://' + html, { waitUntil: 'load' });
	await page.waitForFunction(() => window.mtReport && window.mtReport.ready);
	await page.evaluate(() => window.mtReport.drawAll());
	t.after(() => page.close());
	page.mtErrors = errors;
	return page;
}

function noErrors(page) {
	assert.deepEqual(page.mtErrors, [], 'console or page errors');
}

/* Per pid: its CSV rows in order. */
function byPid(rows) {
	const m = new Map();
	for (const r of rows) {
		const pid = Number(r.pid);
		if (!m.has(pid))
			m.set(pid, []);
		m.get(pid).push(r);
	}
	return m;
}

const num = v => (v === '' ? null : Number(v));

/* Float32 values: equal to 1e-5 relative (or 1e-6 absolute). */
function close(a, b, what) {
	if (a === null || b === null) {
		assert.equal(a, b, what);
		return;
	}
	assert.ok(Math.abs(a - b) <= Math.max(1e-6, 1e-5 * Math.abs(b)),
		`${what}: ${a} != ${b}`);
}

before(() => {
	dir = mkdtempSync(join(tmpdir(), 'memtrace-view-'));
	mkdirSync(SHOTS, { recursive: true });
	return chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update',
			'--disable-sync'],
	}).then(b => {
		browser = b;
	});
});

after(async () => {
	if (browser)
		await browser.close();
	rmSync(dir, { recursive: true, force: true });
});

test('processes: series equal the CSV, top 10 by peak RSS, search, zoom', async t => {
	const r = makeReport('basic', ['--procs', '12', '--ticks', '200', '--wss']);
	const page = await open(t, r.html);
	const rows = byPid(r.csv);

	/* the 10 of highest peak rss_kb are drawn at first */
	const peak = [...rows].map(([pid, rs]) =>
		[pid, Math.max(...rs.map(x => Number(x.rss_kb)))]);
	peak.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
	const top = peak.slice(0, 10).map(p => p[0]);
	assert.deepEqual(await page.evaluate(() => window.mtReport.selected()), top);

	/* each drawn process: its points and values are the CSV's */
	const got = await page.evaluate(() => {
		const out = {};
		for (const [pid, e] of window.mtReport.procCharts) {
			const p = window.mtReport.data.procs.find(x => x.pid === pid);
			const s = window.mtReport.decode(p);
			out[pid] = {
				points: e.mem.u.data[0].length, rows: p.rows,
				stacked: e.mem.u.data[1], anon: e.mem.u.data[3],
				swap: e.mem.u.data[5], cols: s.cols,
				cpu: e.cpu.u.data[1], minflt: e.faults.u.data[1],
				made: [e.mem.u, e.faults.u, e.cpu.u].every(u => u && u.data[0].length),
			};
		}
		return out;
	});
	assert.deepEqual(Object.keys(got).map(Number).sort(), top.slice().sort());
	for (const pid of top) {
		const g = got[pid], c = rows.get(pid);
		assert.ok(g.made, `pid ${pid}: all three charts made`);
		assert.equal(g.points, c.length, `pid ${pid}: points = CSV rows`);
		assert.equal(g.rows, c.length);
		c.forEach((row, i) => {
			assert.equal(g.stacked[i], Number(row.rss_kb), `pid ${pid} row ${i} rss_kb`);
			assert.equal(g.anon[i], Number(row.rss_anon_kb), `pid ${pid} row ${i} anon`);
			assert.equal(g.swap[i], Number(row.swap_kb), `pid ${pid} row ${i} swap`);
			assert.equal(g.cols.file_kb[i], Number(row.rss_file_kb));
			assert.equal(g.cols.shmem_kb[i], Number(row.rss_shmem_kb));
			assert.equal(g.cols.wss_kb[i], num(row.wss_kb), `pid ${pid} row ${i} wss`);
			assert.equal(g.cols.pss_kb[i], num(row.pss_kb), `pid ${pid} row ${i} pss`);
			assert.equal(g.cols.idle0_kb[i], num(row.idle_10s_kb ?? ''), `pid ${pid} row ${i} idle 10 s`);
			if (i === 0) {
				assert.equal(g.cpu[0], null);
				return;
			}
			const p = c[i - 1];
			const dt = Number(BigInt(row.ts_ns) - BigInt(p.ts_ns));
			const cpu = 100 * (Number(row.utime_ns) + Number(row.stime_ns) -
				Number(p.utime_ns) - Number(p.stime_ns)) / dt;
			close(g.cpu[i], cpu, `pid ${pid} row ${i} CPU %`);
			/* a count that went down (mktrace's minflt does) has no rate */
			const dmin = Number(row.minflt) - Number(p.minflt);
			close(g.minflt[i], dmin < 0 ? null : dmin * 1e9 / dt,
				`pid ${pid} row ${i} minflt/s`);
		});
	}

	/* no losses: nothing drawn, no list */
	assert.equal(await page.evaluate(() =>
		[...window.mtReport.allCharts].reduce((a, u) => a + u.mtRangesDrawn, 0)), 0);
	assert.equal(await page.locator('#losses').isHidden(), true);

	/* a comm that needs escaping shows as it is */
	const odd = r.csv.find(x => x.pid === '1005').comm;
	assert.equal(odd, 'a<b>"&c');
	assert.equal(await page.locator('#proc-list li', { hasText: '1005' })
		.locator('.comm').textContent(), odd);

	/* a drag across one chart: every chart zooms to it */
	await page.locator('.proc .u-over').first().scrollIntoViewIfNeeded();
	const over = await page.locator('.proc .u-over').first().boundingBox();
	const y = over.y + over.height / 2;
	await page.mouse.move(over.x + over.width * 0.25, y);
	await page.mouse.down();
	await page.mouse.move(over.x + over.width * 0.4, y, { steps: 5 });
	await page.mouse.move(over.x + over.width * 0.5, y, { steps: 5 });
	await page.mouse.up();
	const spans = await page.evaluate(() =>
		[...window.mtReport.allCharts].map(u => [u.scales.x.min, u.scales.x.max]));
	const [lo, hi] = spans[0];
	assert.ok(lo > 4 && lo < 6 && hi > 9 && hi < 11, `zoomed to ${lo}..${hi}`);
	for (const s of spans)
		assert.deepEqual(s, [lo, hi], 'every chart zoomed alike');
	await page.locator('.proc .u-over').first().dblclick();
	const full = await page.evaluate(() => {
		const d = window.mtReport.data;
		return [...window.mtReport.allCharts].every(u =>
			u.scales.x.min === d.t_min && u.scales.x.max === d.t_max);
	});
	assert.ok(full, 'double-click resets every chart to the whole span');

	await page.screenshot({ path: join(SHOTS, 'report-processes.png') });

	/* search by name: Enter draws the matches */
	const needles = [...rows].filter(([, rs]) => rs[0].comm.includes('needle'))
		.map(([pid]) => pid).sort();
	assert.equal(needles.length, 2);
	await page.fill('#search', 'needle');
	await page.press('#search', 'Enter');
	assert.deepEqual((await page.evaluate(() => window.mtReport.selected())).sort(), needles);
	assert.deepEqual((await page.locator('#procs section.proc')
		.evaluateAll(s => s.map(x => Number(x.dataset.pid)))).sort(), needles);
	/* by pid: that one alone */
	await page.fill('#search', '1000');
	await page.press('#search', 'Enter');
	assert.deepEqual(await page.evaluate(() => window.mtReport.selected()), [1000]);
	assert.equal(await page.locator('#procs section.proc').count(), 1);
	assert.equal(await page.locator('#proc-list li:not([hidden])').count(), 1);
	noErrors(page);
});

test('losses, missed ticks, system and cgroup rows', async t => {
	const r = makeReport('loss', ['--procs', '12', '--ticks', '200', '--wss',
		'--loss', '--system', '--cgroups']);
	const page = await open(t, r.html);

	/* the ranges: mktrace's loss run, and the rise of ticks_missed */
	const ranges = await page.evaluate(() => window.mtReport.data.ranges);
	const lossRun = ranges.filter(x => x.kind !== 'missed ticks');
	assert.equal(lossRun.length, 1);
	/* mktrace: 5 lost on CPU 0 between tick 66's ts - 2 ms and - 1 ms */
	assert.equal(lossRun[0].count, 5);
	assert.equal(lossRun[0].cpu, 0);
	close(lossRun[0].t0, 6.598, 'loss from');
	close(lossRun[0].t1, 6.599, 'loss to');
	const all = r.csv.concat(r.sys);
	const before0 = Math.max(...all.filter(x => x.ticks_missed === '0').map(x => sec(x.ts_ns)));
	const first3 = Math.min(...all.filter(x => x.ticks_missed === '3').map(x => sec(x.ts_ns)));
	const missed = ranges.filter(x => x.kind === 'missed ticks');
	assert.equal(missed.length, 1);
	assert.equal(missed[0].count, 3);
	close(missed[0].t0, before0, 'missed from');
	close(missed[0].t1, first3, 'missed to');

	/* drawn on every chart, listed in the table */
	const drawn = await page.evaluate(() =>
		[...window.mtReport.allCharts].map(u => u.mtRangesDrawn));
	assert.ok(drawn.length >= 30 + 6, `charts made: ${drawn.length}`);
	for (const d of drawn)
		assert.equal(d, 2, 'both ranges drawn on every chart');
	assert.equal(await page.locator('#losses tr').count(), 1 + 2);

	/* the system panel: the system CSV's rows and values */
	const sys = await page.evaluate(() => {
		const u = window.mtReport.sysCharts[0].u;
		return { n: u.data[0].length, avail: u.data[1], swap: u.data[3] };
	});
	assert.equal(sys.n, r.sys.length);
	r.sys.forEach((row, i) => {
		assert.equal(sys.avail[i], Number(row.memavailable_kb), `system row ${i}`);
		assert.equal(sys.swap[i], Number(row.swaptotal_kb) - Number(row.swapfree_kb));
	});
	/* the cgroup panel: each cgroup's memory.current at its times */
	const cg = await page.evaluate(() => window.mtReport.data.cgroups.map(g => ({
		path: g.path, rows: g.rows, cur: window.mtReport.decode(g).cols.memory_current_kb,
	})));
	for (const g of cg) {
		const want = r.cg.filter(x => x.path === g.path);
		assert.equal(g.rows, want.length, `cgroup ${g.path}`);
		assert.deepEqual(g.cur, want.map(x => Number(x.memory_current_kb)));
	}
	assert.equal(await page.evaluate(() => window.mtReport.cgCharts[0].u.series.length), 1 + 2);

	await page.screenshot({ path: join(SHOTS, 'report-losses.png'), fullPage: false });
	await page.locator('#procs').scrollIntoViewIfNeeded();
	/* the summary: records lost, not those unread (counted apart;
	 * an unread range added after the screenshot) */
	const summary = () => page.locator('#summary').textContent();
	assert.match(await summary(), /, 5 records lost, 3 ticks missed$/);
	await page.evaluate(() => {
		window.mtReport.data.ranges.push({ kind: 'unread', cpu: 1, t0: 1, t1: 2, count: 7 });
		window.mtReport.drawSummary();
	});
	assert.match(await summary(), /, 5 records lost, 7 records unread, 3 ticks missed$/);
	noErrors(page);
});

test('a long series is drawn from min/max buckets that keep its extremes', async t => {
	const r = makeReport('long', ['--procs', '2', '--ticks', '5000', '--interval-ms', '10']);
	const page = await open(t, r.html);
	const rows = byPid(r.csv);
	const got = await page.evaluate(() => [...window.mtReport.procCharts].map(([pid, e]) => ({
		pid, anon: e.mem.u.data[3], t: e.mem.u.data[0],
		rows: window.mtReport.data.procs.find(p => p.pid === pid).rows,
		max: window.mtReport.data.points_max,
	})));
	assert.equal(got.length, 2);
	for (const g of got) {
		const c = rows.get(g.pid).map(x => Number(x.rss_anon_kb));
		assert.equal(g.rows, c.length);
		assert.ok(c.length > g.max);
		assert.equal(g.anon.length, g.max);
		assert.equal(Math.max(...g.anon), Math.max(...c));
		assert.equal(Math.min(...g.anon), Math.min(...c));
		close(g.t[g.t.length - 1], sec(rows.get(g.pid).at(-1).ts_ns), 'last time');
	}
	noErrors(page);
});

test('figures of 4 TiB and more are drawn as they are, in full and thinned series', async t => {
	for (const [name, ticks] of [['big', '200'], ['bigthin', '5000']]) {
		const r = makeReport(name, ['--procs', '2', '--ticks', ticks, '--interval-ms', '10',
			'--system', '--big']);
		const page = await open(t, r.html);
		const avail = r.sys.map(x => Number(x.memavailable_kb));
		assert.ok(Math.max(...avail) > 2 ** 32, 'mktrace --big passes 4 TiB');
		const got = await page.evaluate(() => ({
			avail: window.mtReport.sysCharts[0].u.data[1],
			rows: window.mtReport.data.system.rows,
			max: window.mtReport.data.points_max,
		}));
		assert.equal(got.rows, avail.length);
		if (avail.length <= got.max) {
			assert.deepEqual(got.avail, avail);
		} else {
			assert.equal(got.avail.length, got.max);
			assert.equal(Math.max(...got.avail), Math.max(...avail));
			assert.equal(Math.min(...got.avail), Math.min(...avail));
		}
		noErrors(page);
	}
});

test('a reused pid: each of its processes is a series of its own', async t => {
	const r = makeReport('reuse', ['--procs', '3', '--ticks', '40', '--reuse']);
	const page = await open(t, r.html);
	const rows = r.csv.filter(x => x.pid === '1001');
	const got = await page.evaluate(() => window.mtReport.data.procs
		.filter(p => p.pid === 1001)
		.map(p => ({ gen: p.gen, comm: p.comm, rows: p.rows,
			cpu: window.mtReport.decode(p).cols.cpu_pct })));
	assert.deepEqual(got.map(g => [g.gen, g.comm, g.rows]),
		[[1, 'proc-1', rows.filter(x => x.comm === 'proc-1').length],
		 [2, 'reborn', rows.filter(x => x.comm === 'reborn').length]]);
	/* no rate across the two: the new process's first row has none, and
	 * then mktrace's 12.5 % user + 5 % system of pid 1001 */
	assert.equal(got[1].cpu[0], null);
	for (const v of got[1].cpu.slice(1))
		close(v, 17.5, 'CPU % of the new process');
	/* an exact pid picks both; each has its heading */
	await page.fill('#search', '1001');
	await page.press('#search', 'Enter');
	assert.deepEqual(await page.evaluate(() => [...window.mtReport.procCharts.keys()].map(String).sort()),
		['1001', '1001/2']);
	const heads = await page.locator('#procs section h2').allTextContents();
	assert.equal(heads.length, 2);
	assert.ok(heads.some(h => /^1001 proc-1 /.test(h)), heads.join(' | '));
	assert.ok(heads.some(h => /^1001 #2 reborn .*process 2 with pid 1001 in this trace/.test(h)),
		heads.join(' | '));
	noErrors(page);
});
