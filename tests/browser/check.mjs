// Opens every page of the built book in headless Chromium and fails on
// anything a reader would notice: a script error, a file that does not load,
// a request that leaves the machine, a broken image, a code block that was
// not highlighted, a print page that lacks a chapter, a search that does not
// find chapter 3. It also saves screenshots of three pages in a light and a
// dark theme.
//
//   node check.mjs --book DIR --out DIR
//
// `tests/browser/check` builds the book and runs this; see there.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PAGE_TIMEOUT_MS = 30_000;

// The pages photographed, and what to scroll to first (a selector), so
// that the picture shows highlighted code or a chart, not only the title.
const SCREENSHOTS = [
    { page: 'introduction.html', scrollTo: null },
    // Chapter 3: its timeline diagram, with the highlighted code around it.
    { page: 'ch03-level-edge-oneshot.html', scrollTo: 'img[src*="level-edge-oneshot-timeline"]' },
    { page: 'ch13-performance.html', scrollTo: 'img' },
];
const THEMES = ['light', 'navy'];

// The search: a word that chapter 3 is about, and the page a result must
// link to.
const SEARCH_TERM = 'EPOLLONESHOT';
const SEARCH_PAGE = 'ch03-level-edge-oneshot.html';

// Code blocks whose language is plain text: highlight.js leaves them
// uncoloured on purpose.
const PLAIN_LANGUAGES = new Set(['text', 'plaintext', 'txt']);
// Languages whose grammar colours only a shell prompt (`$ `): commands
// shown without one have no coloured token, yet are highlighted. For every
// other language, a block of some length must have coloured tokens.
const PROMPT_ONLY_LANGUAGES = new Set(['console', 'shell']);


function parseArgs(argv) {
    const args = {};
    for (let i = 0; i < argv.length; i += 2) {
        const key = argv[i];
        const value = argv[i + 1];
        if (!key.startsWith('--') || value === undefined) {
            throw new Error(`usage: node check.mjs --book DIR --out DIR (got ${argv.join(' ')})`);
        }
        args[key.slice(2)] = value;
    }
    if (!args.book || !args.out) {
        throw new Error('usage: node check.mjs --book DIR --out DIR');
    }
    return args;
}

const CONTENT_TYPES = {
    '.html': 'text/html; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.json': 'application/json',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
    '.jpg': 'image/jpeg',
    '.ico': 'image/x-icon',
    '.woff': 'font/woff',
    '.woff2': 'font/woff2',
    '.ttf': 'font/ttf',
    '.txt': 'text/plain; charset=utf-8',
};

// A static file server for the built book on 127.0.0.1, answering like
// GitHub Pages: a directory serves its index.html, and an address with no
// file gets 404.html with status 404.
function serve(root) {
    const server = http.createServer((req, res) => {
        const url = new URL(req.url, 'http://127.0.0.1');
        let rel = decodeURIComponent(url.pathname);
        let file = path.join(root, path.normalize(rel));
        if (!file.startsWith(root)) {
            res.writeHead(403).end();
            return;
        }
        if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
            file = path.join(file, 'index.html');
        }
        let status = 200;
        if (!fs.existsSync(file)) {
            status = 404;
            file = path.join(root, '404.html');
        }
        const type = CONTENT_TYPES[path.extname(file)] || 'application/octet-stream';
        res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
        res.end(fs.readFileSync(file));
    });
    return new Promise((resolve) => {
        server.listen(0, '127.0.0.1', () => resolve(server));
    });
}

// Every .html file of the built book, relative to its root, sorted.
function htmlFiles(root) {
    const out = [];
    const walk = (dir) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) {
                walk(full);
            } else if (entry.name.endsWith('.html')) {
                out.push(path.relative(root, full).split(path.sep).join('/'));
            }
        }
    };
    walk(root);
    return out.sort();
}

// The chapters in the order of the table of contents (toc.html, which
// mdBook writes from SUMMARY.md).
function tocPages(root) {
    const toc = fs.readFileSync(path.join(root, 'toc.html'), 'utf8');
    const pages = [];
    for (const match of toc.matchAll(/<a href="([^"#]+\.html)"/g)) {
        if (!pages.includes(match[1])) {
            pages.push(match[1]);
        }
    }
    return pages;
}

function isLocal(url) {
    if (url.startsWith('data:') || url.startsWith('blob:') || url.startsWith('about:')) {
        return true;
    }
    const host = new URL(url).hostname;
    return host === '127.0.0.1' || host === 'localhost';
}

async function main() {
    const args = parseArgs(process.argv.slice(2));
    const bookDir = path.resolve(args.book);
    const outDir = path.resolve(args.out);
    fs.mkdirSync(outDir, { recursive: true });

    const failures = [];
    const fail = (where, what) => failures.push(`${where}: ${what}`);
    const requests = [];

    const server = await serve(bookDir);
    const base = `http://127.0.0.1:${server.address().port}/`;
    const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'epoll-book-chromium-'));
    const context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
        ],
        viewport: { width: 1280, height: 900 },
        colorScheme: 'light',
    });

    // Every request any page makes goes through here: local ones go to the
    // server; anything else is refused and fails the check. (The Run
    // buttons' crate-list request never gets here: theme/head.hbs answers
    // it in the page.)
    let current = '(no page)';
    await context.route('**/*', async (route) => {
        const request = route.request();
        const url = request.url();
        if (isLocal(url)) {
            await route.continue();
        } else {
            fail(current, `request to another host (refused): ${request.method()} ${url}`);
            await route.abort('blockedbyclient');
        }
    });

    // Opens one page with fresh listeners; returns the page and its
    // problems so far. `expectStatus` is the main document's HTTP status.
    async function open(rel, { theme = null, expectStatus = 200 } = {}) {
        const where = theme ? `${rel} (${theme})` : rel;
        current = where;
        const page = await context.newPage();
        page.setDefaultTimeout(PAGE_TIMEOUT_MS);
        await page.addInitScript((t) => {
            if (t) {
                localStorage.setItem('mdbook-theme', t);
            } else {
                localStorage.removeItem('mdbook-theme');
            }
        }, theme);
        page.on('console', (msg) => {
            if (msg.type() !== 'error') {
                return;
            }
            const loc = msg.location();
            // Chromium logs the expected 404 of a missing address itself;
            // the 404 page's own files still count.
            if (expectStatus === 404 && loc.url === base + rel && msg.text().includes('404')) {
                return;
            }
            fail(where, `console error: ${msg.text()} (${loc.url}:${loc.lineNumber})`);
        });
        page.on('pageerror', (err) => fail(where, `uncaught exception: ${err.message}`));
        page.on('request', (req) => requests.push(`${where}\t${req.method()} ${req.url()}`));
        page.on('requestfailed', (req) => {
            if (isLocal(req.url())) {
                fail(where, `request failed: ${req.url()} (${req.failure()?.errorText})`);
            }
        });
        page.on('response', (res) => {
            const isDocument = res.request().isNavigationRequest() && res.frame() === page.mainFrame();
            const expected = isDocument ? expectStatus : 200;
            if (res.status() >= 400 && res.status() !== expected) {
                fail(where, `HTTP ${res.status()} for ${res.url()}`);
            } else if (isDocument && res.status() !== expectStatus) {
                fail(where, `HTTP ${res.status()} for the page itself, expected ${expectStatus}`);
            }
        });
        await page.goto(base + rel, { waitUntil: 'load' });
        await page.waitForLoadState('networkidle');
        return page;
    }

    // What every page must have: images that decoded, and code blocks that
    // highlight.js has coloured. Returns counts, and the page's H1.
    async function checkContent(page, where) {
        await page.waitForFunction(() => Array.from(document.images).every((img) => img.complete));
        const report = await page.evaluate(([plain, promptOnly]) => {
            const broken = Array.from(document.images)
                .filter((img) => img.naturalWidth === 0)
                .map((img) => img.getAttribute('src'));
            const problems = [];
            const blocks = Array.from(document.querySelectorAll('pre > code'));
            const languages = {};
            for (const [i, code] of blocks.entries()) {
                const lang = Array.from(code.classList)
                    .find((c) => c.startsWith('language-'))
                    ?.slice('language-'.length);
                const label = `code block ${i + 1} (${lang ?? 'no language'})`;
                languages[lang ?? '(none)'] = (languages[lang ?? '(none)'] ?? 0) + 1;
                if (!code.classList.contains('hljs')) {
                    problems.push(`${label}: no hljs class (highlight.js did not run)`);
                    continue;
                }
                if (lang === undefined) {
                    problems.push(`${label}: no language-* class`);
                    continue;
                }
                if (plain.includes(lang)) {
                    continue;
                }
                if (!window.hljs.getLanguage(lang)) {
                    problems.push(`${label}: highlight.js has no language "${lang}"`);
                    continue;
                }
                if (promptOnly.includes(lang)) {
                    continue;
                }
                // A block in a known language with some text gets coloured
                // tokens (keywords, strings, comments, types...).
                const text = code.textContent.trim();
                if (text.length >= 20 && !code.querySelector('[class^="hljs-"], [class*=" hljs-"]')) {
                    problems.push(`${label}: not highlighted: ${JSON.stringify(text.slice(0, 60))}`);
                }
            }
            const h1 = document.querySelector('main h1');
            return {
                broken,
                problems,
                blocks: blocks.length,
                images: document.images.length,
                languages,
                h1: h1 ? h1.textContent.trim() : null,
                h1s: Array.from(document.querySelectorAll('main h1')).map((h) => h.textContent.trim()),
            };
        }, [Array.from(PLAIN_LANGUAGES), Array.from(PROMPT_ONLY_LANGUAGES)]);
        for (const src of report.broken) {
            fail(where, `broken image: ${src}`);
        }
        for (const problem of report.problems) {
            fail(where, problem);
        }
        return report;
    }

    const files = htmlFiles(bookDir);
    const toc = tocPages(bookDir);
    for (const rel of toc) {
        if (!files.includes(rel)) {
            fail('toc.html', `lists ${rel}, which was not built`);
        }
    }
    for (const needed of ['index.html', 'print.html', '404.html', 'toc.html']) {
        if (!files.includes(needed)) {
            fail('book', `no ${needed} was built`);
        }
    }
    const searchIndexes = fs.readdirSync(bookDir).filter((f) => /^searchindex.*\.(js|json)$/.test(f));
    if (searchIndexes.length === 0) {
        fail('book', 'no searchindex*.js or searchindex*.json next to the pages');
    }

    // Table-of-contents order first, then every other page, print.html last
    // (it is checked against the chapters' titles).
    const order = [...toc, ...files.filter((f) => !toc.includes(f) && f !== 'print.html'), 'print.html'];
    const titles = new Map();
    let blocks = 0;
    let images = 0;
    let runButtons = 0;
    const languages = {};
    for (const rel of order) {
        const page = await open(rel);
        const report = await checkContent(page, rel);
        blocks += report.blocks;
        images += report.images;
        for (const [lang, n] of Object.entries(report.languages)) {
            languages[lang] = (languages[lang] ?? 0) + n;
        }
        // A runnable snippet (std and libc only) keeps its Run button, and
        // a `noplayground` one has none: each playground block shows one
        // once mdBook has its crate list (answered in-page by head.hbs).
        const buttons = await page.evaluate(() => {
            const blocks = Array.from(document.querySelectorAll('pre.playground'));
            const shown = blocks.filter((pre) => {
                const button = pre.querySelector('.play-button');
                return button && !button.classList.contains('hidden') && !button.hidden;
            });
            return { blocks: blocks.length, shown: shown.length };
        });
        if (buttons.shown !== buttons.blocks) {
            fail(rel, `${buttons.blocks - buttons.shown} of ${buttons.blocks} runnable snippets have no Run button`);
        }
        runButtons += buttons.shown;
        if (toc.includes(rel)) {
            if (report.h1 === null) {
                fail(rel, 'no H1 heading');
            } else {
                titles.set(rel, report.h1);
            }
        }
        if (rel === 'print.html') {
            for (const [chapter, title] of titles) {
                if (!report.h1s.includes(title)) {
                    fail('print.html', `lacks ${chapter} (no H1 "${title}")`);
                }
            }
        }
        await page.close();
    }

    // An address with no page, a few directories deep: the server answers
    // with 404.html, whose styles and scripts must still load.
    {
        const rel = 'no/such/chapter.html';
        const page = await open(rel, { expectStatus: 404 });
        const title = await page.title();
        if (!title.startsWith('Page not found')) {
            fail(rel, `the 404 page was not shown (title "${title}")`);
        }
        const styled = await page.evaluate(
            () => getComputedStyle(document.querySelector('.sidebar') || document.body).position,
        );
        if (styled !== 'fixed') {
            fail(rel, `the 404 page's stylesheets did not apply (sidebar position "${styled}")`);
        }
        await checkContent(page, rel);
        await page.close();
    }

    // Search: opened with the `s` key on one page and with the button on
    // another, it must list chapter 3 for a word chapter 3 is about.
    for (const how of ['key', 'button']) {
        const rel = how === 'key' ? 'index.html' : 'ch13-performance.html';
        const where = `search from ${rel} (${how})`;
        const page = await open(rel);
        current = where;
        if (how === 'key') {
            await page.keyboard.press('s');
        } else {
            await page.click('#mdbook-search-toggle');
        }
        const bar = page.locator('#mdbook-searchbar');
        try {
            await bar.waitFor({ state: 'visible', timeout: 5000 });
            // mdBook searches on `keyup` (not on `input`, which is all that
            // `fill` sends), and its index may still be loading when the
            // term is in: press End, which changes nothing but sends a
            // keyup, until results come (at most 30 s).
            const hit = `#mdbook-searchresults a[href*="${SEARCH_PAGE}"]`;
            await bar.fill(SEARCH_TERM);
            for (let attempt = 0; ; attempt++) {
                await bar.press('End');
                try {
                    await page.waitForSelector(hit, { timeout: 3_000 });
                    break;
                } catch (err) {
                    if (attempt === 9) throw err;
                }
            }
            const header = await page.textContent('#mdbook-searchresults-header');
            console.log(`search (${how}) for ${SEARCH_TERM}: ${header.trim()}`);
        } catch (err) {
            const results = await page.locator('#mdbook-searchresults a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
            fail(where, `no result links to ${SEARCH_PAGE} (results: ${JSON.stringify(results.slice(0, 5))}): ${err.message.split('\n')[0]}`);
        }
        await page.close();
    }

    // Screenshots: light and dark, each page scrolled to what it shows.
    const shots = [];
    for (const theme of THEMES) {
        for (const { page: rel, scrollTo } of SCREENSHOTS) {
            const where = `${rel} (${theme})`;
            const page = await open(rel, { theme });
            const applied = await page.evaluate(() => document.documentElement.className);
            if (!applied.split(/\s+/).includes(theme)) {
                fail(where, `theme ${theme} not applied (html class "${applied}")`);
            }
            if (scrollTo) {
                const target = page.locator(scrollTo).first();
                if ((await target.count()) === 0) {
                    fail(where, `nothing matches ${scrollTo} to show`);
                } else {
                    await target.evaluate((el) => el.scrollIntoView({ block: 'start' }));
                    await page.evaluate(() => window.scrollBy(0, -150));
                }
            }
            const file = path.join(outDir, `${path.basename(rel, '.html')}-${theme}.png`);
            await page.screenshot({ path: file });
            shots.push(file);
            await page.close();
        }
    }

    await context.close();
    server.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });

    fs.writeFileSync(path.join(outDir, 'requests.txt'), requests.join('\n') + '\n');
    const external = requests.filter((r) => !isLocal(r.split(' ').pop()));
    const langs = Object.entries(languages)
        .sort()
        .map(([l, n]) => `${l} ${n}`)
        .join(', ');
    console.log(`pages checked: ${order.length} built pages (${toc.length} in the table of contents), plus a missing address (404) and two searches`);
    if (runButtons === 0) {
        fail('book', 'no page shows a Run button: the runnable snippets lost theirs');
    }
    console.log(`Run buttons shown: ${runButtons}`);
    console.log(`requests: ${requests.length}, of which to other hosts: ${external.length} (list in ${path.join(outDir, 'requests.txt')})`);
    console.log(`code blocks: ${blocks} (${langs}); images: ${images}`);
    console.log(`screenshots:\n${shots.map((s) => `  ${s}`).join('\n')}`);
    if (failures.length > 0) {
        console.log(`\nBROWSER CHECK FAILED: ${failures.length} problem(s)`);
        for (const f of failures) {
            console.log(`  ${f}`);
        }
        process.exit(1);
    }
    console.log('browser check: no failures');
}

main().catch((err) => {
    console.error(`browser check crashed: ${err.stack || err}`);
    process.exit(2);
});
