// SPDX-License-Identifier: GPL-2.0
/*
 * html-open.mjs - open a memtrace HTML report (argument: its path) in
 * Debian's headless chromium (playwright-core from report/node_modules) and
 * print the ms from navigation start until the report is ready and the
 * charts in view have been drawn (two animation frames after the first
 * chart was made).  For bench/html-report.
 */
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../report/package.json'));
const { chromium } = require('playwright-core');

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
	const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
	const errors = [];
	page.on('pageerror', e => errors.push(e.message));
	await page.goto('file://' + process.argv[2], { waitUntil: 'load', timeout: 120000 });
	await page.waitForFunction(() => window.mtReport && window.mtReport.ready &&
		document.querySelector('.chart:not(.pending) canvas'), null, { timeout: 120000 });
	const ms = await page.evaluate(() => new Promise(resolve =>
		requestAnimationFrame(() => requestAnimationFrame(() =>
			resolve(Math.round(performance.now()))))));
	if (errors.length)
		throw new Error('page errors: ' + errors.join('; '));
	console.log(ms);
} finally {
	await browser.close();
}
