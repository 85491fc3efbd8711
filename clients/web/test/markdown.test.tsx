import { describe, expect, test } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { Markdown, parse } from '../src/markdown';

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
});
