import { describe, expect, test } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { Markdown, formatTimestamp, parse } from '../src/markdown';

const html = (text: string) => renderToStaticMarkup(<Markdown text={text} names={{
  user: (id) => (id === '1' ? 'alice' : 'someone'),
  role: () => ({ name: 'Mods', color: '#ff0000' }),
  channel: () => 'general',
}} />);

describe('markdown', () => {
  test('bold, italic, underline, strike, nesting', () => {
    expect(html('**b** *i* _i2_ __u__ ~~s~~')).toBe('<strong>b</strong> <em>i</em> <em>i2</em> <u>u</u> <s>s</s>');
    expect(html('***both***')).toBe('<strong><em>both</em></strong>');
    expect(html('**bold _and italic_**')).toBe('<strong>bold <em>and italic</em></strong>');
  });

  test('snake_case words and lone stars stay plain', () => {
    expect(html('snake_case_name and 2 * 3 * 4')).toBe('snake_case_name and 2 * 3 * 4');
  });

  test('inline code keeps markdown literal', () => {
    expect(html('`**not bold**`')).toBe('<code class="inline-code">**not bold**</code>');
    expect(html('``a ` b``')).toBe('<code class="inline-code">a ` b</code>');
  });

  test('code blocks with a language, content literal', () => {
    expect(html('before\n```js\nconst a = 1 < 2;\n**x**\n```after')).toBe(
      'before<br/><pre class="code-block" data-lang="js"><code>const a = 1 &lt; 2;\n**x**</code></pre>after',
    );
  });

  test('quotes: "> " lines and ">>> " to the end', () => {
    expect(html('> quoted\nplain')).toBe('<blockquote>quoted</blockquote>plain');
    expect(html('hi\n>>> all\nof this')).toBe('hi<blockquote>all<br/>of this</blockquote>');
  });

  test('spoilers are hidden buttons until revealed', () => {
    expect(html('||secret||')).toBe(
      '<span class="spoiler" role="button" tabindex="0" aria-label="Spoiler, press to reveal"><span aria-hidden="true">secret</span></span>',
    );
  });

  test('links: bare, <suppressed>, masked; only http(s)', () => {
    expect(html('see https://example.com/a?b=1.')).toBe(
      'see <a href="https://example.com/a?b=1" target="_blank" rel="noopener noreferrer nofollow ugc">https://example.com/a?b=1</a>.',
    );
    expect(html('[docs](https://example.com)')).toContain('<a href="https://example.com/" target="_blank" rel="noopener noreferrer nofollow ugc">docs</a>');
    expect(html('[x](javascript:alert(1))')).not.toContain('<a');
  });

  test('mentions resolve names', () => {
    expect(html('<@1> <@!1> <@&5> <#9> @everyone')).toBe(
      '<span class="mention">@alice</span> <span class="mention">@alice</span> <span class="mention" style="color:#ff0000">@Mods</span> <span class="mention">#general</span> <span class="mention">@everyone</span>',
    );
  });

  test('escapes with backslash', () => {
    expect(html('\\*not italic\\*')).toBe('*not italic*');
  });

  test('HTML and script in user content render as text, never as markup', () => {
    const attack = '<img src=x onerror="alert(1)"><script>alert(2)</script> **<b>x</b>** [a](javascript:alert(3)) ||<svg onload=alert(4)>||';
    const out = html(attack);
    expect(out).not.toMatch(/<img|<script|<svg|<b>|href="javascript/i);
    expect(out).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(out).toContain('<strong>&lt;b&gt;x&lt;/b&gt;</strong>');
  });

  test('newlines become <br/>', () => {
    expect(parse('a\nb')).toEqual([{ type: 'text', value: 'a' }, { type: 'br' }, { type: 'text', value: 'b' }]);
  });

  test('headings #, ##, ### (with a space; #### and #tag stay text), subtext -#', () => {
    expect(html('# Big\n## Mid\n### Small\ntext')).toBe(
      '<span class="md-heading md-h1" role="heading" aria-level="3">Big</span>'
      + '<span class="md-heading md-h2" role="heading" aria-level="4">Mid</span>'
      + '<span class="md-heading md-h3" role="heading" aria-level="5">Small</span>text',
    );
    expect(html('#### four\n#tag')).toBe('#### four<br/>#tag');
    expect(html('-# **small** print')).toBe('<small class="md-subtext"><strong>small</strong> print</small>');
    expect(html('> # quoted heading')).toBe('<blockquote><span class="md-heading md-h1" role="heading" aria-level="3">quoted heading</span></blockquote>');
  });

  test('lists: - and * bullets, numbered keeping the first number', () => {
    expect(html('intro\n- one\n* **two**\nafter')).toBe('intro<ul class="md-list"><li>one</li><li><strong>two</strong></li></ul>after');
    expect(html('3. c\n4. d')).toBe('<ol class="md-list" start="3"><li>c</li><li>d</li></ol>');
    expect(html('1. a')).toBe('<ol class="md-list"><li>a</li></ol>');
    expect(html('2 * 3 * 4')).toBe('2 * 3 * 4');
  });

  test('timestamps <t:unix:style> in the reader\'s time zone; relative; nonsense stays text', () => {
    const out = html('at <t:1700000000:d>');
    expect(out).toMatch(/^at <time class="md-timestamp" dateTime="2023-11-14T22:13:20.000Z" title="[^"]+">[^<]+<\/time>$/);
    expect(out).toContain(`>${new Intl.DateTimeFormat(undefined, { dateStyle: 'short' }).format(1700000000000)}<`);
    expect(formatTimestamp(1700000000, 'R', 1700000000000 + 3 * 3600_000, 'en')).toBe('3 hours ago');
    expect(formatTimestamp(1700000000, 'R', 1700000000000 - 90_000, 'en')).toBe('in 2 minutes');
    expect(html('<t:99999999999999>')).toBe('&lt;t:99999999999999&gt;');
    expect(html('<t:abc>')).toBe('&lt;t:abc&gt;');
  });

  test('custom emoji show as :name: text', () => {
    expect(html('gg <:pepe:123456789> <a:dance:42>')).toBe('gg <span class="md-emoji" title=":pepe:">:pepe:</span> <span class="md-emoji" title=":dance:">:dance:</span>');
  });

  test('new blocks keep HTML as text', () => {
    const out = html('# <img src=x onerror=alert(1)>\n- <script>x</script>\n-# <b>b</b> <:x<y:1>');
    expect(out).not.toMatch(/<img|<script|<b>/);
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(out).toContain('&lt;script&gt;x&lt;/script&gt;');
  });
});
