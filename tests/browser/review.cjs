// The reviewer page in a real browser: headless Chromium (Debian's chromium package) driven by playwright-core.
// Run by tests/browser/review.sh, which starts nothing itself: this script starts `mednec serve` on 127.0.0.1 with a
// temporary SQLite audit store, submits the example case and a pended variant through PAS $submit, loads the queue,
// opens both cases, checks the keyboard path (skip link first), refuses a denial without a reason through the form,
// records a physician's denial with a reason and a criterion, and checks the result in the page, in
// `mednec audit show` and in $inquire (A3 with the reason). Screenshots go to OUT/screenshots.
//
// Environment: MEDNEC (the mednec binary), SRC (the source folder), OUT (a folder of the build directory),
// PW_MODULES (the node_modules folder holding playwright-core), CHROMIUM (the browser executable).
'use strict';
const {spawn, execFileSync} = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const {createRequire} = require('module');

const {chromium} = createRequire(path.join(process.env.PW_MODULES, 'x.js'))('playwright-core');
const mednec = process.env.MEDNEC, src = process.env.SRC, out = process.env.OUT;

let pass = 0, fail = 0;
function ok(what, cond) {
	if (cond) pass++;
	else { fail++; console.log('FAIL: ' + what); }
}

function startServer(tmp) {
	fs.mkdirSync(path.join(tmp, 'policies'));
	fs.copyFileSync(path.join(src, 'policies/drg-stimulation-trial.yaml'),
	                path.join(tmp, 'policies/drg-stimulation-trial.yaml'));
	const store = 'sqlite:' + path.join(tmp, 'audit.db');
	const log = fs.openSync(path.join(tmp, 'server.log'), 'w');
	const child = spawn(mednec, ['serve', '--listen', '127.0.0.1:0', '--as-of', '2026-11-20', '--store', store,
	                             '--policies', path.join(tmp, 'policies'), '--threads', '2'],
	                    {stdio: ['ignore', 'ignore', log]});
	return new Promise((resolve, reject) => {
		const t0 = Date.now();
		const poll = () => {
			const m = /listening on (http:\/\/[^ ]+)/.exec(fs.readFileSync(path.join(tmp, 'server.log'), 'utf8'));
			if (m) return resolve({child, base: m[1], store});
			if (child.exitCode !== null || Date.now() - t0 > 60000)
				return reject(new Error('the server did not start: ' +
				                        fs.readFileSync(path.join(tmp, 'server.log'), 'utf8')));
			setTimeout(poll, 100);
		};
		poll();
	});
}

function bundle(drop) {
	return execFileSync('python3', [path.join(src, 'tests/cli/data/review/pas-bundle.py'), ...drop], {cwd: src});
}

async function submit(base, body) {
	const r = await fetch(base + '/Claim/$submit', {method: 'POST', body,
	                                                 headers: {'Content-Type': 'application/fhir+json'}});
	const text = await r.text();
	return {status: r.status, id: r.headers.get('x-request-id'), ref: JSON.parse(text).entry[0].resource.preAuthRef,
	        action: /"code":"(A[0-9])"/.exec(text)[1]};
}

async function inquire(base, ref) {
	const body = fs.readFileSync(path.join(src, 'tests/cli/data/serve/pas-inquire.json'), 'utf8')
	               .replace('PREAUTHREF', ref);
	const r = await fetch(base + '/Claim/$inquire', {method: 'POST', body,
	                                                 headers: {'Content-Type': 'application/fhir+json'}});
	return {status: r.status, text: await r.text()};
}

async function main() {
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mednec-browser-'));
	const shots = path.join(out, 'screenshots');
	fs.mkdirSync(shots, {recursive: true});
	const {child, base, store} = await startServer(tmp);
	let browser;
	try {
		const full = await submit(base, bundle([]));
		const pended = await submit(base, bundle(['psych-eval-2026-03', 'psych-clearance-2026-03']));
		ok('the example is certified (A1)', full.status === 200 && full.action === 'A1');
		ok('the variant is pended (A4)', pended.status === 200 && pended.action === 'A4');

		browser = await chromium.launch({executablePath: process.env.CHROMIUM, headless: true,
		                                 args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']});
		const page = await browser.newPage({viewport: {width: 1200, height: 900}});
		const requested = [];
		page.on('request', r => requested.push(r.url()));

		// ---- the queue
		let resp = await page.goto(base + '/review');
		ok('the queue is 200', resp.status() === 200);
		ok('the queue has its heading', (await page.locator('h1').textContent()) === 'Reviewer queue');
		const pendedLink = page.locator(`section[aria-labelledby="h-pended"] a[href="/review/case/${pended.id}"]`);
		const fullLink = page.locator(`section[aria-labelledby="h-recent"] a[href="/review/case/${full.id}"]`);
		ok('the queue lists the pended case under Pended', await pendedLink.count() === 1);
		ok('the queue lists the certified case under Recent', await fullLink.count() === 1);
		const queueShot = path.join(shots, 'queue.png');
		await page.screenshot({path: queueShot, fullPage: true});
		await page.keyboard.press('Tab');
		ok('Tab first reaches the skip link', await page.evaluate(() => document.activeElement.className) === 'skip');
		await page.keyboard.press('Enter');
		ok('the skip link moves focus to main', await page.evaluate(() => document.activeElement.id) === 'main');
		await page.keyboard.press('Tab');
		ok('the next Tab reaches the first case link',
		   await page.evaluate(() => document.activeElement.getAttribute('href')) === '/review/case/' + pended.id);

		// ---- the certified example
		await fullLink.click();
		await page.waitForURL(base + '/review/case/' + full.id);
		ok('the example shows its status', /Certified by the engine/.test(await page.locator('#case-status').textContent()));
		ok('the example shows no decision form', await page.locator('form').count() === 0);
		ok('every criterion of the example is met',
		   await page.locator('ol.checklist > li').count() > 0 &&
		   await page.locator('ol.checklist > li:not(.met)').count() === 0);

		// ---- the pended case
		await page.goto(base + '/review');
		await pendedLink.click();
		await page.waitForURL(base + '/review/case/' + pended.id);
		const psych = page.locator('ol.checklist > li.not-documented', {hasText: 'Psychological evaluation'});
		ok('the psychological evaluation is not documented', await psych.count() === 1);
		ok('missing documentation names it',
		   (await page.locator('section[aria-labelledby="h-missing"]').textContent()).includes('Psychological evaluation'));
		ok('the timeline lists dated entries', await page.locator('section[aria-labelledby="h-timeline"] tbody tr').count() > 3);
		ok('the scores show the Budapest criteria',
		   (await page.locator('section[aria-labelledby="h-scores"]').textContent()).includes('Budapest'));
		const frame = page.frameLocator('iframe[title="The letter"]');
		ok('the letter is shown in the page', /dorsal root ganglion/i.test(await frame.locator('body').textContent()));
		ok('the letter has a PDF link', await page.locator('#letter-pdf').getAttribute('href') ===
		                                `/review/case/${pended.id}/letter.pdf`);
		const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#letter-pdf').click()]);
		const pdfPath = path.join(out, 'letter.pdf');
		await download.saveAs(pdfPath);
		ok('the PDF download is a PDF named by the preAuthRef',
		   fs.readFileSync(pdfPath).subarray(0, 5).toString() === '%PDF-' &&
		   download.suggestedFilename() === `letter-${pended.ref}.pdf`);
		// every form control has a label
		const unlabeled = await page.evaluate(() => [...document.querySelectorAll('input:not([type=hidden]), textarea')]
			.filter(e => !e.labels || e.labels.length === 0).length);
		ok('every form control has a label', unlabeled === 0);
		const caseShot = path.join(shots, 'case.png'), caseFullShot = path.join(shots, 'case-full.png');
		await page.screenshot({path: caseShot});
		await page.screenshot({path: caseFullShot, fullPage: true});

		// ---- a denial without a reason is refused
		await page.getByLabel('Deny').check();
		await page.getByLabel(/^Psychological evaluation/).check();
		await page.getByLabel("Reviewer's name").fill('Ada Quill');
		await page.getByLabel(/^Credentials/).fill('MD');
		[resp] = await Promise.all([page.waitForNavigation(), page.getByRole('button', {name: 'Record decision'}).click()]);
		ok('a denial without a reason is refused (422)', resp.status() === 422);
		ok('... with a clear message', /A denial needs a specific reason/.test(await page.locator('#form-error').textContent()));
		const refusedShot = path.join(shots, 'refused.png');
		await page.locator('#h-decision').scrollIntoViewIfNeeded();
		await page.evaluate(() => document.getElementById('h-decision').scrollIntoView());
		await page.screenshot({path: refusedShot});
		ok('... keeping what was entered', await page.getByLabel("Reviewer's name").inputValue() === 'Ada Quill' &&
		                                   await page.getByLabel('Deny').isChecked());

		// ---- the physician's denial
		const reason = 'No psychological evaluation with clearance for neuromodulation within 12 months is in the record.';
		await page.getByLabel(/^Reason/).fill(reason);
		await Promise.all([page.waitForURL(base + '/review/case/' + pended.id),
		                   page.getByRole('button', {name: 'Record decision'}).click()]);
		const result = page.locator('#decision-result');
		ok('the page shows the denial', /Denied.*by Ada Quill, MD/.test(await result.textContent()));
		ok('... with the reason', (await result.textContent()).includes(reason));
		ok('... and the criterion', (await result.textContent()).includes('Psychological evaluation'));
		ok('the status says denied', /Denied by physician reviewer/.test(await page.locator('#case-status').textContent()));
		ok('the form is gone', await page.locator('form').count() === 0);
		const decisionShot = path.join(shots, 'decision.png');
		await page.evaluate(() => document.getElementById('h-decision').scrollIntoView());
		await page.screenshot({path: decisionShot});

		// ---- the audit trail and $inquire
		const row = execFileSync(mednec, ['audit', 'show', pended.ref, '--store', store]).toString();
		const stored = JSON.parse(row);
		ok('audit show KEY gives the decision row', stored.endpoint === 'review/decision' && stored.outcome === 'denied');
		const det = JSON.parse(stored.determination);
		ok('... with reviewer, credentials, criterion, reason and case',
		   det.reviewer.name === 'Ada Quill' && det.reviewer.credentials === 'MD' && det.physician === true &&
		   det.criteria.length === 1 && det.criteria[0].id === 'psych-clearance' && det.reason === reason &&
		   det.case === pended.id);
		const verify = execFileSync(mednec, ['audit', 'verify', '--store', store]).toString();
		ok('the chain verifies: ' + verify.trim(), /intact: 3 rows/.test(verify));
		const inq = await inquire(base, pended.ref);
		ok('$inquire answers A3', inq.status === 200 && /"code":"A3"/.test(inq.text));
		ok('$inquire gives the reason', inq.text.includes('Reason: ' + reason.replace(/\.$/, '')));
		const inqFull = await inquire(base, full.ref);
		ok('$inquire for the example stays A1', /"code":"A1"/.test(inqFull.text));

		// ---- no patient data in URLs
		ok('no URL the browser asked for has a query string or a patient id',
		   requested.every(u => !u.includes('?') && !u.includes('pat-crps-001')));
		for (const p of [queueShot, caseShot, caseFullShot, refusedShot, decisionShot])
			console.log('screenshot: ' + p);
	} finally {
		if (browser) await browser.close();
		child.kill('SIGTERM');
		await new Promise(r => child.exitCode !== null ? r() : child.on('exit', r));
		ok('the server stopped cleanly (exit 0)', child.exitCode === 0);
		ok('no sanitizer report in the server log', !/AddressSanitizer|LeakSanitizer|runtime error:/.test(
			fs.readFileSync(path.join(tmp, 'server.log'), 'utf8')));
		fs.rmSync(tmp, {recursive: true, force: true});
	}
	console.log(`${pass} passed, ${fail} failed`);
	process.exit(fail ? 1 : 0);
}

main().catch(e => { console.log('FAIL: ' + (e && e.stack || e)); process.exit(1); });
