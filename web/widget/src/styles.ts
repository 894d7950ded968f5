/** All of the widget's CSS; it lives in the shadow root, so the shop's CSS neither reaches nor breaks it. */
export const CSS = `
:host{all:initial}
*,*::before,*::after{box-sizing:border-box}
.sa{--sa-accent:#0e7a5f;--sa-on-accent:#fff;--sa-accent-text:#0e7a5f;--sa-accent-soft:rgba(14,122,95,.1);
--sa-bg:#f6f7f9;--sa-surface:#fff;--sa-text:#1f2430;--sa-muted:#5f6776;--sa-line:#e5e7ec;--sa-danger:#c52a1e;
--sa-radius:18px;--sa-shadow:0 18px 50px -12px rgba(16,24,40,.35),0 4px 14px rgba(16,24,40,.12);
font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Noto Sans SC","WenQuanYi Micro Hei",sans-serif;
font-size:14px;line-height:1.45;color:var(--sa-text);-webkit-font-smoothing:antialiased;text-align:left;letter-spacing:normal;font-weight:400}
.sa button{font:inherit;color:inherit;margin:0;cursor:pointer;-webkit-tap-highlight-color:transparent}
.sa :focus{outline:none}
.sa :focus-visible{outline:2px solid var(--sa-accent-text);outline-offset:2px}
.sa [hidden]{display:none!important}
.sr-only{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}

/* launcher */
.launcher{position:fixed;right:20px;bottom:20px;z-index:2147483001;width:60px;height:60px;border-radius:50%;border:0;padding:0;
background:var(--sa-accent);color:var(--sa-on-accent);display:grid;place-items:center;box-shadow:0 8px 24px -6px rgba(16,24,40,.45),0 2px 6px rgba(16,24,40,.18);
transition:transform .18s ease,box-shadow .18s ease}
.launcher:hover{transform:scale(1.06)}
.launcher:active{transform:scale(.96)}
.sa .launcher:focus-visible,.sa .on-accent:focus-visible{outline:none;box-shadow:0 0 0 3px #fff,0 0 0 5px var(--sa-accent-text)}
.launcher .ic{position:absolute;display:grid;place-items:center;transition:transform .2s ease,opacity .2s ease}
.launcher .ic-close{opacity:0;transform:rotate(-90deg) scale(.6)}
.sa.open .launcher .ic-chat{opacity:0;transform:rotate(90deg) scale(.6)}
.sa.open .launcher .ic-close{opacity:1;transform:none}
.badge{position:absolute;top:-3px;right:-3px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#e5322d;color:#fff;
font-size:12px;font-weight:700;line-height:22px;text-align:center;box-shadow:0 0 0 2px #fff;animation:sa-pop .25s ease}
@keyframes sa-pop{from{transform:scale(.4)}to{transform:scale(1)}}

/* panel */
.panel{position:fixed;right:20px;bottom:92px;z-index:2147483000;width:384px;height:min(660px,calc(100vh - 116px));max-height:calc(100vh - 116px);
display:flex;flex-direction:column;background:var(--sa-bg);border-radius:var(--sa-radius);box-shadow:var(--sa-shadow);overflow:hidden;
transform-origin:bottom right;animation:sa-in .22s cubic-bezier(.2,.9,.3,1.1)}
@keyframes sa-in{from{opacity:0;transform:translateY(12px) scale(.96)}to{opacity:1;transform:none}}
.head{display:flex;align-items:center;gap:12px;padding:16px 12px 16px 18px;background:var(--sa-accent);color:var(--sa-on-accent);
background-image:linear-gradient(135deg,rgba(255,255,255,.14),rgba(0,0,0,.08));flex:none}
.avatar{flex:none;width:40px;height:40px;border-radius:50%;display:grid;place-items:center;background:rgba(255,255,255,.2);box-shadow:inset 0 0 0 1px rgba(255,255,255,.25)}
.avatar svg{width:22px;height:22px}
.head-text{min-width:0;flex:1}
.title{margin:0;font-size:16px;font-weight:650;line-height:1.25;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;color:inherit}
.status{display:flex;align-items:center;gap:6px;font-size:12.5px;opacity:.92;margin-top:2px}
.dot{width:8px;height:8px;border-radius:50%;background:#3ddc84;box-shadow:0 0 0 2px rgba(255,255,255,.35)}
.status.connecting .dot{background:#f5c04a}
.status.offline .dot{background:#c9ced6}
.icon-btn{flex:none;width:36px;height:36px;border:0;border-radius:10px;background:transparent;display:grid;place-items:center;color:inherit}
.icon-btn:hover{background:rgba(255,255,255,.16)}
.icon-btn svg{width:22px;height:22px}

.banner{flex:none;display:flex;align-items:center;gap:8px;padding:8px 14px;font-size:13px;background:#fff6db;color:#6b4a00;border-bottom:1px solid #f3e3b0}
.banner.offline{background:#eef0f3;color:#3d4452;border-bottom-color:var(--sa-line)}
.banner svg{width:16px;height:16px;flex:none}
.banner .msg{flex:1}
.link-btn{border:0;background:none;padding:2px 4px;font-weight:600;text-decoration:underline;text-underline-offset:2px;border-radius:4px}
.spinner{width:14px;height:14px;border-radius:50%;border:2px solid currentColor;border-right-color:transparent;animation:sa-spin .8s linear infinite;flex:none}
@keyframes sa-spin{to{transform:rotate(360deg)}}

.scroller{flex:1;min-height:0;overflow-y:auto;overscroll-behavior:contain;padding:14px 14px 8px;position:relative}
.earlier{display:block;margin:0 auto 10px;border:1px solid var(--sa-line);background:var(--sa-surface);color:var(--sa-accent-text);font-size:12.5px;font-weight:600;padding:6px 12px;border-radius:999px}
.earlier:disabled{color:var(--sa-muted);cursor:default}

/* welcome */
.welcome{padding:18px 18px 16px;margin:4px 2px 12px;background:var(--sa-surface);border-radius:16px;box-shadow:0 1px 2px rgba(16,24,40,.06);border:1px solid var(--sa-line)}
.welcome h3{margin:0 0 6px;font-size:17px;font-weight:650}
.welcome p{margin:0 0 14px;color:var(--sa-muted)}
.welcome .chips{justify-content:flex-start}

/* transcript */
.log{display:flex;flex-direction:column}
.day{align-self:center;margin:10px 0 8px;padding:2px 10px;font-size:11.5px;color:var(--sa-muted);background:rgba(16,24,40,.05);border-radius:999px}
.row{display:flex;flex-direction:column;align-items:flex-start;max-width:100%;margin-top:2px}
.row.first{margin-top:12px}
.row.mine{align-items:flex-end}
.label{font-size:12px;font-weight:600;color:var(--sa-muted);margin:0 0 4px 4px;display:flex;align-items:center;gap:6px}
.label .mini{width:20px;height:20px;border-radius:50%;display:grid;place-items:center;background:var(--sa-accent);color:var(--sa-on-accent)}
.label .mini svg{width:13px;height:13px}
.row.agent .label .mini{background:#5b5bd6;color:#fff}
.label .role{font-size:10.5px;font-weight:700;letter-spacing:.02em;padding:1px 6px;border-radius:999px;background:rgba(91,91,214,.12);color:#4343b8}
.typing .who{font-size:12px;color:var(--sa-muted)}
.row:not(.first) .label,.row.mine .label{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.bubble{max-width:82%;padding:9px 13px;border-radius:var(--sa-radius);background:var(--sa-surface);color:var(--sa-text);white-space:pre-wrap;overflow-wrap:anywhere;
box-shadow:0 1px 2px rgba(16,24,40,.07);border:1px solid rgba(16,24,40,.06)}
.row:not(.mine).first .bubble{border-top-left-radius:6px}
.row:not(.mine):not(.last) .bubble{border-bottom-left-radius:6px}
.row:not(.mine):not(.first) .bubble{border-top-left-radius:6px}
.row.mine .bubble{background:var(--sa-accent);color:var(--sa-on-accent);border-color:transparent}
.row.mine.first .bubble{border-top-right-radius:6px}
.row.mine:not(.last) .bubble{border-bottom-right-radius:6px}
.row.mine:not(.first) .bubble{border-top-right-radius:6px}
.row.mine.queued .bubble,.row.mine.sending .bubble{opacity:.72}
.row.mine.failed .bubble{background:#fdecea;color:#7a1b13;border:1px solid #f5c2bd}
.bubble a{color:inherit;text-decoration:underline;text-underline-offset:2px}
.row.system{align-items:center}
.row.system .bubble{background:transparent;border:0;box-shadow:none;color:var(--sa-muted);font-size:12.5px;text-align:center;padding:4px 10px;max-width:92%}
.row.notice .bubble{background:#fdecea;color:#7a1b13;border-radius:10px;font-size:12.5px}
.meta{display:none;align-items:center;gap:6px;font-size:11.5px;color:var(--sa-muted);margin:4px 6px 0}
.row.last .meta,.row.queued .meta,.row.failed .meta{display:flex}
.row.system:not(.notice) .meta{display:none}
.meta svg{width:13px;height:13px}
.tag{padding:0 6px;border-radius:6px;background:rgba(16,24,40,.06);font-size:11px;line-height:17px}
.row.mine .st-sent{color:var(--sa-accent-text)}
.err{display:flex;align-items:center;gap:6px;margin:4px 6px 0;font-size:12.5px;color:var(--sa-danger)}
.err svg{width:14px;height:14px;flex:none}
.err .link-btn{color:var(--sa-danger)}

/* cards */
.carousel{position:relative;width:calc(100% + 28px);margin:8px -14px 0}
.track{display:flex;gap:10px;overflow-x:auto;scroll-snap-type:x mandatory;padding:2px 14px 8px;scroll-padding:0 14px;scrollbar-width:none;scroll-behavior:smooth}
.track::-webkit-scrollbar{display:none}
.card{flex:none;width:214px;scroll-snap-align:start;display:flex;flex-direction:column;background:var(--sa-surface);border:1px solid var(--sa-line);border-radius:14px;overflow:hidden;box-shadow:0 1px 3px rgba(16,24,40,.08)}
.card .img{position:relative;height:132px;background:#eef0f3;display:grid;place-items:center;color:#a3aab6}
.card .img svg{width:40px;height:40px}
.card .img img{position:absolute;inset:0;width:100%;height:100%;object-fit:cover}
.flag{position:absolute;top:8px;left:8px;z-index:1;padding:2px 7px;border-radius:6px;font-size:11px;font-weight:700;letter-spacing:.02em;line-height:16px}
.flag.sponsored{background:#fff3c4;color:#6e4b00;border:1px solid #e9c25a}
.flag.upsell{background:#e7f0ff;color:#1d4ed8;border:1px solid #bcd0fb}
.card .body{padding:10px 12px 12px;display:flex;flex-direction:column;gap:3px;flex:1}
.card .ct{font-weight:600;font-size:13.5px;line-height:1.35;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden;color:var(--sa-text);text-decoration:none}
.card a.ct:hover{text-decoration:underline}
.card .sub{font-size:12px;color:var(--sa-muted);display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.card .price{font-weight:700;font-size:15px;margin-top:2px;color:var(--sa-text)}
.card .acts{display:flex;flex-direction:column;gap:6px;margin-top:auto;padding-top:8px}
.btn{display:flex;align-items:center;justify-content:center;gap:6px;min-height:34px;padding:6px 10px;border-radius:10px;border:1px solid var(--sa-line);background:var(--sa-surface);color:var(--sa-accent-text);font-size:13px;font-weight:600;text-decoration:none;text-align:center}
.btn:hover{background:var(--sa-accent-soft)}
.btn.primary{background:var(--sa-accent);color:var(--sa-on-accent);border-color:transparent}
.btn.primary:hover{filter:brightness(1.06)}
.btn svg{width:14px;height:14px}
.nav{position:absolute;top:56px;width:32px;height:32px;border-radius:50%;border:1px solid var(--sa-line);background:rgba(255,255,255,.96);display:grid;place-items:center;color:var(--sa-text);box-shadow:0 2px 8px rgba(16,24,40,.18);z-index:2}
.nav svg{width:18px;height:18px}
.nav.prev{left:6px}.nav.next{right:6px}
.nav:disabled{display:none}

/* quick replies */
.chips{display:flex;flex-wrap:wrap;justify-content:flex-end;gap:8px;margin:12px 0 4px}
.chip{border:1.5px solid var(--sa-accent-text);background:var(--sa-surface);color:var(--sa-accent-text);padding:6px 14px;border-radius:999px;font-size:13.5px;font-weight:600;line-height:1.3;
transition:background .15s ease,color .15s ease}
.chip:hover{background:var(--sa-accent);color:var(--sa-on-accent);border-color:var(--sa-accent)}

/* typing */
.typing{display:flex;align-items:center;gap:8px;margin-top:12px}
.typing .bubble{display:flex;gap:4px;align-items:center;padding:12px 14px;border-top-left-radius:6px}
.typing i{width:7px;height:7px;border-radius:50%;background:#9aa1ad;animation:sa-bounce 1.2s infinite ease-in-out}
.typing i:nth-child(2){animation-delay:.15s}.typing i:nth-child(3){animation-delay:.3s}
@keyframes sa-bounce{0%,60%,100%{transform:translateY(0);opacity:.5}30%{transform:translateY(-4px);opacity:1}}

.pill{position:absolute;left:50%;bottom:96px;transform:translateX(-50%);border:0;border-radius:999px;padding:6px 14px;background:var(--sa-text);color:#fff;font-size:12.5px;font-weight:600;box-shadow:0 4px 14px rgba(16,24,40,.25);z-index:3;display:flex;align-items:center;gap:4px}
.pill svg{width:14px;height:14px}

/* composer */
.composer{flex:none;background:var(--sa-surface);border-top:1px solid var(--sa-line);padding:10px 12px 8px}
.field{display:flex;align-items:flex-end;gap:8px;background:var(--sa-bg);border:1px solid var(--sa-line);border-radius:14px;padding:6px 6px 6px 12px;transition:border-color .15s ease,box-shadow .15s ease}
.field:focus-within{border-color:var(--sa-accent-text);box-shadow:0 0 0 3px var(--sa-accent-soft)}
.field.over{border-color:var(--sa-danger)}
textarea{flex:1;min-width:0;border:0;background:transparent;resize:none;font:inherit;color:var(--sa-text);padding:6px 0;margin:0;max-height:120px;line-height:1.45;outline:none}
.sa textarea:focus-visible{outline:none}
textarea::placeholder{color:#8a919e}
.send{flex:none;width:36px;height:36px;border:0;border-radius:10px;background:var(--sa-accent);color:var(--sa-on-accent);display:grid;place-items:center;transition:opacity .15s ease,transform .1s ease}
.send:disabled{background:#d5d9e0;color:#fff;cursor:default}
.send:not(:disabled):active{transform:scale(.94)}
.send svg{width:18px;height:18px}
.under{display:flex;justify-content:space-between;align-items:center;gap:8px;margin-top:6px;min-height:16px;font-size:11px;color:#6b7280}
.counter.warn{color:#a15c00;font-weight:600}
.counter.over{color:var(--sa-danger);font-weight:700}
.powered{color:var(--sa-muted)}

@media (max-width:520px){
  .panel{inset:0;right:0;bottom:0;width:100%;height:100%;max-height:none;border-radius:0;animation:sa-up .22s ease}
  @keyframes sa-up{from{transform:translateY(24px);opacity:0}to{transform:none;opacity:1}}
  .sa.open .launcher{display:none}
  .launcher{right:16px;bottom:16px}
  textarea{font-size:16px}
  .head{padding-top:max(14px,env(safe-area-inset-top))}
  .composer{padding-bottom:max(8px,env(safe-area-inset-bottom))}
}
@media (prefers-reduced-motion:reduce){
  .sa *,.sa *::before,.sa *::after{animation:none!important;transition:none!important;scroll-behavior:auto!important}
}
@media (forced-colors:active){
  .bubble,.chip,.btn,.card,.launcher,.send{border:1px solid CanvasText}
}
`;
