<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="ja_JP">
<context>
    <name>AboutBox</name>
    <message>
        <source>このアプリについて</source>
        <translation>About this app</translation>
    </message>
    <message>
        <source>窓口 Madoguchi — マイナ保険証による資格確認と代替手段の記録（受付用）</source>
        <translation>窓口 Madoguchi — eligibility checks with the My Number card, and a record of every fallback (for the reception desk)</translation>
    </message>
    <message>
        <source>確認方法の名称・まずすること・注記・出典などのルールデータは、元の厚生労働省の通知等のとおり日本語で表示します。</source>
        <translation>The rule data — names of the verification options, first steps, notes and citations — stays in Japanese, as in the MHLW notices it comes from.</translation>
    </message>
</context>
<context>
    <name>Accounts</name>
    <message>
        <source>パスワードが短すぎます。{n}文字以上にしてください。</source>
        <extracomment>The first administrator exists: the login page, while the desk logs them in.</extracomment>
        <translation>The password is too short: use at least {n} characters.</translation>
    </message>
    <message>
        <source>英字・数字・記号のうち2種類以上を含めてください。</source>
        <translation>Use at least two kinds of characters (letters, digits, symbols).</translation>
    </message>
    <message>
        <source>よく使われるパスワードのため使えません。別のパスワードにしてください。</source>
        <translation>This password is too common to be used. Choose another one.</translation>
    </message>
    <message>
        <source>現在のパスワードが違います。</source>
        <translation>The current password is wrong.</translation>
    </message>
    <message>
        <source>その間にパスワードが変更されました。もう一度お試しください。</source>
        <translation>The password was changed meanwhile. Please try again.</translation>
    </message>
    <message>
        <source>確認しています…</source>
        <translation>Checking…</translation>
    </message>
    <message>
        <source>作成しています…</source>
        <translation>Creating…</translation>
    </message>
    <message>
        <source>作成できません：{e}</source>
        <translation>Cannot create: {e}</translation>
    </message>
    <message>
        <source>変更しています…</source>
        <translation>Changing…</translation>
    </message>
    <message>
        <source>変更できません：{e}</source>
        <translation>Cannot change: {e}</translation>
    </message>
</context>
<context>
    <name>BulkResultSection</name>
    <message>
        <source>前日の一括照会（参考）</source>
        <translation>Bulk check of the booking (for reference)</translation>
    </message>
    <message>
        <source>一括照会の結果はこの受付の資格確認ではありません。本人確認と資格確認は窓口で行い、確認した方法が記録されます。</source>
        <translation>The bulk check does not verify this visit. Confirm the patient&apos;s identity and eligibility at the desk; the method used is what gets recorded.</translation>
    </message>
    <message>
        <source>前日の一括照会：{result}</source>
        <translation>Bulk check of the booking: {result}</translation>
    </message>
    <message>
        <source>監査記録 通番 {seq}</source>
        <translation>Audit record no. {seq}</translation>
    </message>
    <message>
        <source>未照会の理由：{note}</source>
        <translation>Why it was not checked: {note}</translation>
    </message>
    <message>
        <source>{at} に照会</source>
        <translation>Checked {at}</translation>
    </message>
    <message>
        <source>（模擬の資格確認端末）</source>
        <translation> (simulated terminal)</translation>
    </message>
    <message>
        <source>変更あり（{changes}）</source>
        <translation>changed ({changes})</translation>
    </message>
    <message>
        <source>有効</source>
        <translation>valid</translation>
    </message>
    <message>
        <source>資格喪失</source>
        <translation>coverage ended</translation>
    </message>
    <message>
        <source>該当なし</source>
        <translation>not found</translation>
    </message>
    <message>
        <source>未照会</source>
        <translation>not checked</translation>
    </message>
    <message>
        <source>保険者</source>
        <translation>insurer</translation>
    </message>
    <message>
        <source>負担割合</source>
        <translation>co-payment share</translation>
    </message>
    <message>
        <source>限度額区分</source>
        <translation>limit category</translation>
    </message>
</context>
<context>
    <name>ChangePasswordPage</name>
    <message>
        <source>パスワードを変更してください</source>
        <translation>Please change your password</translation>
    </message>
    <message>
        <source>現在のパスワード(&amp;C)</source>
        <translation>&amp;Current password</translation>
    </message>
    <message>
        <source>新しいパスワード(&amp;N)</source>
        <translation>&amp;New password</translation>
    </message>
    <message>
        <source>新しいパスワード（確認）(&amp;A)</source>
        <translation>New password (&amp;again)</translation>
    </message>
    <message>
        <source>管理者が設定した初期パスワードは、最初のログインで変更が必要です。</source>
        <translation>The initial password set by the administrator must be changed at the first login.</translation>
    </message>
    <message>
        <source>変更する(&amp;S)</source>
        <translation>&amp;Change</translation>
    </message>
    <message>
        <source>2つの新しいパスワードが一致しません。</source>
        <translation>The two new passwords do not match.</translation>
    </message>
</context>
<context>
    <name>DailyLogDialog</name>
    <message>
        <source>日報（資格確認 日次記録）</source>
        <translation>Daily log (eligibility checks of the day)</translation>
    </message>
    <message>
        <source>日付(&amp;D)</source>
        <translation>&amp;Date</translation>
    </message>
    <message>
        <source>その日のすべての資格確認を時刻順に、確認方法ごとの件数と監査ログのハッシュとともに印刷します。模擬の記録には「模擬」と印字されます。</source>
        <translation>Prints every eligibility check of the day in time order, with the count per verification path and the audit log&apos;s hash. Simulated records are printed as “simulated”.</translation>
    </message>
    <message>
        <source>印刷(&amp;P)…</source>
        <translation>&amp;Print…</translation>
    </message>
    <message>
        <source>PDFとして保存(&amp;S)…</source>
        <translation>&amp;Save as PDF…</translation>
    </message>
    <message>
        <source>閉じる</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>作成しています…</source>
        <translation>Creating…</translation>
    </message>
    <message>
        <source>作成しました。</source>
        <translation>Done.</translation>
    </message>
</context>
<context>
    <name>DateField</name>
    <message>
        <source>日付として読めません（例：R8.4.1、2026/4/1）</source>
        <translation>Not a readable date (e.g. R8.4.1, 2026/4/1)</translation>
    </message>
</context>
<context>
    <name>DemoBox</name>
    <message>
        <source>デモ操作（模擬カード・模擬の顔認証リーダー）</source>
        <translation>Demo controls (SIMULATED card and face reader)</translation>
    </message>
    <message>
        <source>模擬カード(&amp;C)：</source>
        <translation>Simulated &amp;card:</translation>
    </message>
    <message>
        <source>カードを置く (Ctrl+I)</source>
        <translation>Insert card (Ctrl+I)</translation>
    </message>
    <message>
        <source>カードを取る (Ctrl+J)</source>
        <translation>Remove card (Ctrl+J)</translation>
    </message>
    <message>
        <source>顔認証リーダーで確認 (Ctrl+G)</source>
        <translation>Use face reader (Ctrl+G)</translation>
    </message>
    <message>
        <source>リーダー内：{card}</source>
        <translation>In reader: {card}</translation>
    </message>
    <message>
        <source>リーダー内：なし</source>
        <translation>In reader: none</translation>
    </message>
</context>
<context>
    <name>DeskPage</name>
    <message>
        <source>記録を読み込んでいます…</source>
        <extracomment>(visit_id) another visit is selected (or a begun one is followed).</extracomment>
        <translation>Loading the record…</translation>
    </message>
    <message>
        <source>{name} さんの受付は記録済みです。番号で再照会するには Ctrl+R。</source>
        <translation>{name}&apos;s visit is recorded. Ctrl+R queries again with the numbers.</translation>
    </message>
</context>
<context>
    <name>DocumentRow</name>
    <message>
        <source>{doc} を確認した</source>
        <extracomment>Documents whose insurance numbers staff read off (they feed an individual query).</extracomment>
        <translation>{doc} checked</translation>
    </message>
    <message>
        <source>公費負担者番号</source>
        <translation>Public payer number</translation>
    </message>
    <message>
        <source>受給者番号</source>
        <translation>Recipient number</translation>
    </message>
    <message>
        <source>有効期限（券面）</source>
        <extracomment>Where Tab goes, in order (the form&apos;s fields, the check first).</extracomment>
        <translation>Valid until (printed)</translation>
    </message>
</context>
<context>
    <name>DocumentsForm</name>
    <message>
        <source>提示された書類</source>
        <extracomment>(visit_id) print a 被保険者資格申立書 for this patient. (visit_id) choose a マイナポータル PDF with the file dialog. (visit_id, path) a PDF was dropped.</extracomment>
        <translation>Documents presented</translation>
    </message>
    <message>
        <source>書類の番号（個別照会に使います）</source>
        <translation>The document&apos;s numbers (for an individual query)</translation>
    </message>
    <message>
        <source>被保険者資格申立書を印刷(&amp;D)…</source>
        <translation>Print the self-&amp;declaration form…</translation>
    </message>
    <message>
        <source>確認した内容を記録する(&amp;S)</source>
        <translation>Record what was checked (&amp;S)</translation>
    </message>
    <message>
        <source>選んだ方法：{label}（根拠：{rules}）</source>
        <translation>Chosen: {label} (rules: {rules})</translation>
    </message>
    <message>
        <source>✗ まだ足りない書類：</source>
        <translation>✗ Still missing: </translation>
    </message>
</context>
<context>
    <name>EnumLabel</name>
    <message>
        <source>病院</source>
        <translation>Hospital</translation>
    </message>
    <message>
        <source>診療所</source>
        <translation>Clinic</translation>
    </message>
    <message>
        <source>薬局</source>
        <translation>Pharmacy</translation>
    </message>
    <message>
        <source>大型チェーン薬局</source>
        <translation>Large chain pharmacy</translation>
    </message>
    <message>
        <source>オンライン資格確認（義務化対象）</source>
        <translation>Mandated</translation>
    </message>
    <message>
        <source>資格確認限定型</source>
        <translation>Limited</translation>
    </message>
    <message>
        <source>オンライン資格確認なし（義務化対象外）</source>
        <translation>None</translation>
    </message>
    <message>
        <source>顔認証付きカードリーダー</source>
        <translation>Face reader</translation>
    </message>
    <message>
        <source>汎用カードリーダー</source>
        <translation>General reader</translation>
    </message>
    <message>
        <source>訪問診療等（居宅同意取得型）</source>
        <translation>Home visit</translation>
    </message>
    <message>
        <source>オンライン診療等</source>
        <translation>Online consultation</translation>
    </message>
    <message>
        <source>通常とは異なる動線・機器故障時等</source>
        <translation>Unusual route</translation>
    </message>
    <message>
        <source>医療扶助のオンライン資格確認</source>
        <translation>Welfare</translation>
    </message>
    <message>
        <source>医療費助成（PMH）</source>
        <translation>Pmh</translation>
    </message>
    <message>
        <source>スマホのマイナ保険証対応リーダー</source>
        <translation>Smartphone reader</translation>
    </message>
    <message>
        <source>マイナ保険証（顔認証付きカードリーダー）</source>
        <translation>My Number card (face reader)</translation>
    </message>
    <message>
        <source>マイナ保険証（カードリーダー目視確認モード）</source>
        <translation>My Number card (face reader, visual mode)</translation>
    </message>
    <message>
        <source>マイナ保険証（汎用リーダー・暗証番号）</source>
        <translation>My Number card (general reader, PIN)</translation>
    </message>
    <message>
        <source>マイナ保険証（汎用リーダー・目視確認）</source>
        <translation>My Number card (general reader, visual check)</translation>
    </message>
    <message>
        <source>資格確認限定型（マイナ資格確認アプリ）</source>
        <translation>Limited type (eligibility app)</translation>
    </message>
    <message>
        <source>居宅同意取得型（初回訪問）</source>
        <translation>Home visit (first)</translation>
    </message>
    <message>
        <source>居宅同意取得型（再照会）</source>
        <translation>Home visit (re-query)</translation>
    </message>
    <message>
        <source>オンライン診療等（マイナ在宅受付Web）</source>
        <translation>Online consultation</translation>
    </message>
    <message>
        <source>モバイル端末（居宅同意取得型・外来）</source>
        <translation>Mobile device</translation>
    </message>
    <message>
        <source>番号による個別照会</source>
        <translation>Query by insurance numbers</translation>
    </message>
    <message>
        <source>書類の確認</source>
        <translation>Documents</translation>
    </message>
    <message>
        <source>被保険者資格申立書</source>
        <translation>Self declaration form</translation>
    </message>
    <message>
        <source>紙の医療券・調剤券</source>
        <translation>Paper medical ticket (welfare)</translation>
    </message>
    <message>
        <source>10割負担</source>
        <translation>Full self-pay</translation>
    </message>
    <message>
        <source>スマホのマイナ保険証</source>
        <translation>Myna smartphone</translation>
    </message>
    <message>
        <source>マイナンバーカードの持参なし</source>
        <translation>No My Number card</translation>
    </message>
    <message>
        <source>カードリーダーの故障・未接続</source>
        <translation>Reader failure</translation>
    </message>
    <message>
        <source>カードが読み取れない</source>
        <translation>Card unreadable</translation>
    </message>
    <message>
        <source>電子証明書の期限切れ（猶予期間後）</source>
        <translation>Card expired</translation>
    </message>
    <message>
        <source>暗証番号ロック</source>
        <translation>PIN locked</translation>
    </message>
    <message>
        <source>暗証番号が分からない</source>
        <translation>Pin unknown</translation>
    </message>
    <message>
        <source>顔認証ができない</source>
        <translation>Face auth failed</translation>
    </message>
    <message>
        <source>患者がカードリーダーを操作できない</source>
        <translation>Patient cannot operate</translation>
    </message>
    <message>
        <source>資格確認端末・回線の障害</source>
        <translation>Terminal / network down</translation>
    </message>
    <message>
        <source>資格確認端末のエラー応答</source>
        <translation>Terminal error</translation>
    </message>
    <message>
        <source>資格情報なし・該当資格なし</source>
        <translation>No record</translation>
    </message>
    <message>
        <source>資格（無効）</source>
        <translation>Eligibility lost</translation>
    </message>
    <message>
        <source>複数該当</source>
        <translation>Multiple matches</translation>
    </message>
    <message>
        <source>医療扶助：未委託</source>
        <translation>Not designated welfare</translation>
    </message>
    <message>
        <source>公費がPMHで確認できない</source>
        <translation>Pmh not available</translation>
    </message>
    <message>
        <source>目視確認で本人と一致しない</source>
        <translation>Identity mismatch</translation>
    </message>
    <message>
        <source>マイナンバーカード</source>
        <translation>Myna card</translation>
    </message>
    <message>
        <source>資格確認書</source>
        <translation>Qualification certificate</translation>
    </message>
    <message>
        <source>資格情報のお知らせ</source>
        <translation>Qualification notice</translation>
    </message>
    <message>
        <source>マイナポータルの資格情報画面</source>
        <translation>Mynaportal screen</translation>
    </message>
    <message>
        <source>マイナポータルの資格情報PDF</source>
        <translation>Mynaportal pdf</translation>
    </message>
    <message>
        <source>健康保険証</source>
        <translation>Insurance card</translation>
    </message>
    <message>
        <source>有効期限切れの健康保険証</source>
        <translation>Expired insurance card</translation>
    </message>
    <message>
        <source>医療券</source>
        <translation>Medical ticket</translation>
    </message>
    <message>
        <source>調剤券</source>
        <translation>Dispensing ticket</translation>
    </message>
    <message>
        <source>公費の受給者証</source>
        <translation>Public expense certificate</translation>
    </message>
    <message>
        <source>高齢受給者証</source>
        <translation>Elderly recipient certificate</translation>
    </message>
    <message>
        <source>限度額適用認定証</source>
        <translation>Limit certificate</translation>
    </message>
    <message>
        <source>資格確認済み</source>
        <translation>Confirmed</translation>
    </message>
    <message>
        <source>暫定（後日確認）</source>
        <translation>Provisional</translation>
    </message>
    <message>
        <source>確認できず（10割）</source>
        <translation>Not confirmed</translation>
    </message>
    <message>
        <source>中止</source>
        <translation>Abandoned</translation>
    </message>
    <message>
        <source>男</source>
        <translation>Male</translation>
    </message>
    <message>
        <source>女</source>
        <translation>Female</translation>
    </message>
    <message>
        <source>不明</source>
        <translation>Unknown</translation>
    </message>
    <message>
        <source>国民健康保険</source>
        <translation>National</translation>
    </message>
    <message>
        <source>被用者保険</source>
        <translation>Employee</translation>
    </message>
    <message>
        <source>後期高齢者医療</source>
        <translation>Late elderly</translation>
    </message>
    <message>
        <source>医療扶助（生活保護）</source>
        <translation>Welfare</translation>
    </message>
    <message>
        <source>保険種別不明</source>
        <translation>Unknown</translation>
    </message>
    <message>
        <source>オンラインで資格確認</source>
        <translation>Check online</translation>
    </message>
    <message>
        <source>提示書類で確認</source>
        <translation>Check the documents presented</translation>
    </message>
    <message>
        <source>記載の番号でオンライン照会</source>
        <translation>Query online with the numbers on it</translation>
    </message>
    <message>
        <source>福祉事務所に連絡</source>
        <translation>Contact the welfare office</translation>
    </message>
    <message>
        <source>難病（特定医療費）</source>
        <translation>Intractable disease (特定医療費)</translation>
    </message>
    <message>
        <source>小児慢性特定疾病</source>
        <translation>Pediatric chronic specific disease</translation>
    </message>
    <message>
        <source>結核患者の医療</source>
        <translation>Tuberculosis care</translation>
    </message>
    <message>
        <source>未熟児養育医療</source>
        <translation>Premature infant care</translation>
    </message>
    <message>
        <source>精神通院（自立支援医療）</source>
        <translation>Psychiatric outpatient care (自立支援医療)</translation>
    </message>
    <message>
        <source>更生医療（自立支援医療）</source>
        <translation>Rehabilitation care (自立支援医療)</translation>
    </message>
    <message>
        <source>育成医療（自立支援医療）</source>
        <translation>Child development care (自立支援医療)</translation>
    </message>
    <message>
        <source>療養介護医療</source>
        <translation>Long-term care medical services</translation>
    </message>
    <message>
        <source>肢体不自由児通所・障害児入所医療</source>
        <translation>Care for children with physical disabilities (day / residential)</translation>
    </message>
    <message>
        <source>新型インフルエンザ等外出自粛対象者の医療</source>
        <translation>Care for people asked to stay home (pandemic influenza etc.)</translation>
    </message>
    <message>
        <source>肝炎・肝がん等医療費助成</source>
        <translation>Hepatitis / liver cancer subsidy</translation>
    </message>
    <message>
        <source>特定疾患治療研究事業</source>
        <translation>Specific disease treatment research programme</translation>
    </message>
    <message>
        <source>こども医療費助成</source>
        <translation>Children&apos;s medical subsidy</translation>
    </message>
    <message>
        <source>障害者医療費助成</source>
        <translation>Disability medical subsidy</translation>
    </message>
    <message>
        <source>ひとり親家庭等医療費助成</source>
        <translation>Single-parent family medical subsidy</translation>
    </message>
    <message>
        <source>その他の地方単独医療費助成</source>
        <translation>Other local medical subsidy</translation>
    </message>
    <message>
        <source>外来（窓口）</source>
        <translation>Outpatient</translation>
    </message>
    <message>
        <source>外来（通常とは異なる動線）</source>
        <translation>Unusual route</translation>
    </message>
    <message>
        <source>訪問診療等</source>
        <translation>Home visit</translation>
    </message>
    <message>
        <source>往診</source>
        <translation>House call</translation>
    </message>
    <message>
        <source>券面の有効期限内に限る</source>
        <translation>Only within the printed expiry</translation>
    </message>
    <message>
        <source>オンライン資格確認で資格を確認すること</source>
        <translation>Confirm the eligibility with the online check</translation>
    </message>
    <message>
        <source>保険証の有効期限の延長ではない</source>
        <translation>Not an extension of the insurance card</translation>
    </message>
    <message>
        <source>次回はマイナ保険証か資格確認書の持参を案内</source>
        <translation>Ask them to bring the My Number card or the 資格確認書 next time</translation>
    </message>
    <message>
        <source>電子証明書の期限切れ猶予中：資格情報のみ（診療・薬剤情報なし）</source>
        <translation>E-certificate in its grace period: eligibility only (no medical / drug information)</translation>
    </message>
    <message>
        <source>確認後、カードリーダーを自動（無人）運転に戻す</source>
        <translation>Afterwards, put the card reader back to unattended mode</translation>
    </message>
    <message>
        <source>薬剤情報等の提供に係る同意を取得</source>
        <translation>Obtain consent to share drug information etc.</translation>
    </message>
    <message>
        <source>暗証番号が必要</source>
        <translation>PIN required</translation>
    </message>
    <message>
        <source>暗証番号または目視確認</source>
        <translation>PIN or visual check</translation>
    </message>
    <message>
        <source>前回から変更がないことを口頭で確認（申立書扱い）</source>
        <translation>Confirm orally that nothing changed since last time (treated as a self-declaration)</translation>
    </message>
    <message>
        <source>後日も資格が確認できなければ不詳請求</source>
        <translation>If still not confirmed later: claim with unknown insurer</translation>
    </message>
    <message>
        <source>申立書は請求の支払確認まで保管</source>
        <translation>Keep the self-declaration until the claim is paid</translation>
    </message>
    <message>
        <source>被保険者番号が分かり次第連絡してもらう</source>
        <translation>Ask them to tell the insured number once they know it</translation>
    </message>
    <message>
        <source>一部負担金は年齢に応じて（3割・未就学2割・70歳以上1〜3割）</source>
        <translation>Share by age (30%; preschool 20%; 70 and over 10–30%)</translation>
    </message>
    <message>
        <source>月初の未委託は通常：後日、資格情報等一括取得で再確認</source>
        <translation>Not yet delegated early in the month is normal: re-check later with the bulk retrieval</translation>
    </message>
    <message>
        <source>月半ばを過ぎても未委託なら福祉事務所に医療券の発行を依頼</source>
        <translation>Still not delegated after mid-month: ask the welfare office to issue a ticket</translation>
    </message>
    <message>
        <source>患者は後日、療養費として保険者に請求（領収書）</source>
        <translation>The patient claims from the insurer later (receipt)</translation>
    </message>
    <message>
        <source>既知の再診患者は3割等での対応も可</source>
        <translation>A known returning patient may be charged the usual share</translation>
    </message>
    <message>
        <source>往診では訪問の都度、資格確認と同意取得</source>
        <translation>House calls: check eligibility and obtain consent at every visit</translation>
    </message>
    <message>
        <source>診療・薬剤情報は同意から診療日の翌日末まで取得可</source>
        <translation>Medical / drug information available from consent until the end of the day after the consultation</translation>
    </message>
    <message>
        <source>福祉事務所への事前の診療依頼（緊急時は事後連絡）</source>
        <translation>Request to the welfare office in advance (in an emergency, afterwards)</translation>
    </message>
    <message>
        <source>福祉事務所に電話で保護の受給と委託を確認（閉庁時は受診後すみやかに連絡）</source>
        <translation>Phone the welfare office to confirm the assistance and the designation (when it is closed, right after the visit)</translation>
    </message>
    <message>
        <source>医療券・調剤券は後日提出（届かなければ福祉事務所へ連絡）</source>
        <translation>The medical/dispensing ticket follows later (if it does not arrive, contact the welfare office)</translation>
    </message>
    <message>
        <source>エラー時は紙の受給者証の提示を依頼</source>
        <translation>On an error, ask for the paper certificate</translation>
    </message>
    <message>
        <source>PMHで確認可</source>
        <translation>Can be checked through PMH</translation>
    </message>
    <message>
        <source>不明（紙の受給者証を確認）</source>
        <translation>Unknown (check the paper certificate)</translation>
    </message>
    <message>
        <source>PMH未対応（紙の受給者証を確認）</source>
        <translation>Not on PMH (check the paper certificate)</translation>
    </message>
    <message>
        <source>確認済み</source>
        <translation>Verified</translation>
    </message>
    <message>
        <source>単一情報源</source>
        <translation>Single source</translation>
    </message>
    <message>
        <source>未確認（推測）</source>
        <translation>Unverified (guess)</translation>
    </message>
    <message>
        <source>、</source>
        <translation>, </translation>
    </message>
</context>
<context>
    <name>FaceBox</name>
    <message>
        <source>顔認証リーダーの結果（まだ受付に割り当てていません）</source>
        <extracomment>What a visit waits for when a face-reader result would answer it. (FaceResultUnattached) staff want a visit for this result. (FaceResultUnattached, visit_id) staff attach this result to the visit waiting for one. (FaceResultUnattached) the selected result, to show in the result panel.</extracomment>
        <translation>Face-reader results (not attached to a visit yet)</translation>
    </message>
    <message>
        <source>この結果で受付する(&amp;T)…</source>
        <translation>Start a visi&amp;t with this result…</translation>
    </message>
    <message>
        <source>選択中の結果を {name} さんの受付に割り当てる(&amp;G)</source>
        <translation>Attach the selected result to {name}&apos;s visit (&amp;G)</translation>
    </message>
    <message>
        <source>【模擬】</source>
        <translation>[SIMULATED] </translation>
    </message>
    <message>
        <source>&#x3000;候補 {n} 人</source>
        <translation>  {n} candidate(s)</translation>
    </message>
</context>
<context>
    <name>FirstAdminPage</name>
    <message>
        <source>はじめに：管理者アカウントを作成します</source>
        <translation>First: create the administrator account</translation>
    </message>
    <message>
        <source>ユーザー名(&amp;U)</source>
        <translation>&amp;User name</translation>
    </message>
    <message>
        <source>表示名(&amp;D)</source>
        <translation>&amp;Display name</translation>
    </message>
    <message>
        <source>パスワード(&amp;P)</source>
        <translation>&amp;Password</translation>
    </message>
    <message>
        <source>パスワード（確認）(&amp;A)</source>
        <translation>Password (&amp;again)</translation>
    </message>
    <message>
        <source>パスワードは8文字以上で、英字・数字・記号のうち2種類以上を含めてください。この管理者が職員を登録します。</source>
        <translation>The password needs at least 8 characters with two of: letters, digits, symbols. This administrator registers the staff.</translation>
    </message>
    <message>
        <source>作成してログイン(&amp;C)</source>
        <translation>&amp;Create and log in</translation>
    </message>
    <message>
        <source>2つのパスワードが一致しません。</source>
        <translation>The two passwords do not match.</translation>
    </message>
    <message>
        <source>すべての項目を入力してください。</source>
        <translation>Please fill in every field.</translation>
    </message>
</context>
<context>
    <name>FollowUpBox</name>
    <message>
        <source>記録と再照会の回答</source>
        <extracomment>A conflict arrived or was decided (the flow panel&apos;s title depends on it).</extracomment>
        <translation>The record and the re-query answer</translation>
    </message>
    <message>
        <source>記録どおりとする(&amp;K)</source>
        <translation>Keep as recorded (&amp;K)</translation>
    </message>
    <message>
        <source>新しい回答で記録(&amp;J)</source>
        <translation>Record the new answer (&amp;J)</translation>
    </message>
    <message>
        <source>【模擬】</source>
        <translation>[SIMULATED] </translation>
    </message>
    <message>
        <source>記録：{path}（{outcome}）&#x3000;書類：{documents}</source>
        <translation>Recorded: {path} ({outcome})   Documents: {documents}</translation>
    </message>
    <message>
        <source>（理由：{reason}）</source>
        <translation> (reason: {reason})</translation>
    </message>
    <message>
        <source>新しい回答：{answer}{reason}</source>
        <translation>New answer: {answer}{reason}</translation>
    </message>
    <message>
        <source>記録した書類はこの回答のあとも規則上有効です（根拠：{rules}）。おすすめ：記録どおりとする</source>
        <translation>By the rules the recorded documents still stand after this answer (rules: {rules}). Recommended: keep as recorded</translation>
    </message>
    <message>
        <source>記録した書類だけでは規則上確認できません（根拠：{rules}）。おすすめ：新しい回答で記録</source>
        <translation>By the rules the recorded documents alone do not confirm eligibility (rules: {rules}). Recommended: record the new answer</translation>
    </message>
    <message>
        <source>【推奨】</source>
        <translation>[RECOMMENDED] </translation>
    </message>
</context>
<context>
    <name>IdentitySection</name>
    <message>
        <source>本人確認：カルテと確認結果が違います</source>
        <translation>Identity: the chart and the verified details differ</translation>
    </message>
    <message>
        <source>カルテの入力違いなら「カルテを更新」（カルテを確認結果に合わせてから記録します）。別の人のカードなら「別人として中止」（中止として記録します）。決めるまで記録されません。</source>
        <translation>If the chart was entered wrongly, choose &quot;Update chart&quot; (the chart takes the verified details, then the check is recorded). If the card is someone else&apos;s, choose &quot;Cancel: another person&quot; (recorded as cancelled). Nothing is recorded until you decide.</translation>
    </message>
    <message>
        <source>カルテを更新(&amp;U)</source>
        <translation>Update chart (&amp;U)</translation>
    </message>
    <message>
        <source>別人として中止(&amp;O)</source>
        <translation>Cancel: another person (&amp;O)</translation>
    </message>
    <message>
        <source>{field}：カルテ「{on_file}」／確認結果「{verified}」</source>
        <translation>{field}: chart &quot;{on_file}&quot; / verified &quot;{verified}&quot;</translation>
    </message>
</context>
<context>
    <name>LoginPage</name>
    <message>
        <source>ログイン</source>
        <translation>Log in</translation>
    </message>
    <message>
        <source>ユーザー名(&amp;U)</source>
        <translation>&amp;User name</translation>
    </message>
    <message>
        <source>パスワード(&amp;P)</source>
        <translation>&amp;Password</translation>
    </message>
    <message>
        <source>ログイン(&amp;L)</source>
        <translation>&amp;Log in</translation>
    </message>
    <message>
        <source>画面をロックしました</source>
        <translation>Screen locked</translation>
    </message>
    <message>
        <source>{name} さんの受付は保持されています。パスワードを入力して再開してください。</source>
        <translation>{name}&apos;s visits are kept. Enter the password to continue.</translation>
    </message>
    <message>
        <source>ロック解除(&amp;L)</source>
        <translation>Un&amp;lock</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>窓口 — 資格確認</source>
        <extracomment>The language setting changed: the owner (ui.app.Shell) builds a window in the new language; the staff member and the visits stay in the desk.</extracomment>
        <translation>Madoguchi — eligibility check</translation>
    </message>
    <message>
        <source>操作</source>
        <translation>Actions</translation>
    </message>
    <message>
        <source>新しい受付</source>
        <translation>New visit</translation>
    </message>
    <message>
        <source>一覧を更新</source>
        <translation>Refresh list</translation>
    </message>
    <message>
        <source>日報</source>
        <translation>Daily log</translation>
    </message>
    <message>
        <source>明日の予約</source>
        <translation>Tomorrow&apos;s bookings</translation>
    </message>
    <message>
        <source>設定</source>
        <translation>Settings</translation>
    </message>
    <message>
        <source>ロック</source>
        <translation>Lock</translation>
    </message>
    <message>
        <source>ログアウト</source>
        <translation>Log out</translation>
    </message>
    <message>
        <source>このアプリについて</source>
        <translation>About this app</translation>
    </message>
    <message>
        <source>データベースを使えません：{e}</source>
        <translation>Database unavailable: {e}</translation>
    </message>
    <message>
        <source>管理者の確認を記録しました。受付の記録を再開します。</source>
        <translation>The administrator&apos;s decision is recorded. Recording resumes.</translation>
    </message>
    <message>
        <source>【模擬】</source>
        <translation>[SIMULATED] </translation>
    </message>
    <message>
        <source>顔認証リーダーの結果が届きました：{name}</source>
        <translation>Face-reader result arrived: {name}</translation>
    </message>
    <message>
        <source>{name} さんの再照会の結果が記録と違います。どちらで記録するか選んでください。</source>
        <translation>The re-query answer for {name} differs from the record. Choose which to record.</translation>
    </message>
    <message>
        <source>記録しました：{path}／{outcome}</source>
        <translation>Recorded: {path} / {outcome}</translation>
    </message>
    <message>
        <source>顔認証リーダーの結果を受付に割り当て</source>
        <translation>Attach the face-reader result to a visit</translation>
    </message>
    <message>
        <source>設定は管理者だけが変更できます。</source>
        <translation>Only an administrator can change the settings.</translation>
    </message>
    <message>
        <source>設定を保存しました。接続先の変更はアプリの再起動後に有効になります。</source>
        <translation>Settings saved. The new connections take effect after restarting the app.</translation>
    </message>
    <message>
        <source>設定を保存しました。</source>
        <translation>Settings saved.</translation>
    </message>
</context>
<context>
    <name>NewVisitDialog</name>
    <message>
        <source>新しい受付</source>
        <translation>New visit</translation>
    </message>
    <message>
        <source>カルテ番号・氏名・カナで検索</source>
        <translation>Search by chart number, name or kana</translation>
    </message>
    <message>
        <source>登録済みの患者(&amp;1)</source>
        <translation>Registered patient (&amp;1)</translation>
    </message>
    <message>
        <source>＊</source>
        <translation> *</translation>
    </message>
    <message>
        <source>カルテ番号(&amp;C)</source>
        <translation>&amp;Chart number</translation>
    </message>
    <message>
        <source>氏名(&amp;N)</source>
        <translation>&amp;Name</translation>
    </message>
    <message>
        <source>カナ氏名(&amp;K)</source>
        <translation>Name in &amp;kana</translation>
    </message>
    <message>
        <source>生年月日(&amp;B)</source>
        <translation>Date of &amp;birth</translation>
    </message>
    <message>
        <source>性別</source>
        <translation>Sex</translation>
    </message>
    <message>
        <source>保険者番号</source>
        <translation>Insurer no.</translation>
    </message>
    <message>
        <source>記号</source>
        <translation>Symbol</translation>
    </message>
    <message>
        <source>番号</source>
        <translation>Number</translation>
    </message>
    <message>
        <source>枝番</source>
        <translation>Branch</translation>
    </message>
    <message>
        <source>新しい患者(&amp;2)</source>
        <translation>New patient (&amp;2)</translation>
    </message>
    <message>
        <source>受付の内容</source>
        <translation>Visit</translation>
    </message>
    <message>
        <source>場面(&amp;S)</source>
        <translation>&amp;Setting</translation>
    </message>
    <message>
        <source>再診(&amp;R)</source>
        <translation>&amp;Return visit</translation>
    </message>
    <message>
        <source>医療扶助（生活保護）(&amp;W)</source>
        <translation>Medical assistance (&amp;welfare)</translation>
    </message>
    <message>
        <source>訪問診療の初回(&amp;H)</source>
        <translation>First &amp;home visit</translation>
    </message>
    <message>
        <source>なし</source>
        <translation>None</translation>
    </message>
    <message>
        <source>例：愛知県</source>
        <translation>e.g. 愛知県</translation>
    </message>
    <message>
        <source>市区町村（県が実施なら空欄）</source>
        <translation>Municipality (empty when the prefecture pays)</translation>
    </message>
    <message>
        <source>公費の種類(&amp;P)</source>
        <translation>&amp;Public expense</translation>
    </message>
    <message>
        <source>実施主体（都道府県）</source>
        <translation>Payer (prefecture)</translation>
    </message>
    <message>
        <source>実施主体（市区町村）</source>
        <translation>Payer (municipality)</translation>
    </message>
    <message>
        <source>公費負担者番号</source>
        <translation>Public payer number</translation>
    </message>
    <message>
        <source>受付開始(&amp;O)</source>
        <translation>Start visit (&amp;O)</translation>
    </message>
    <message>
        <source>やめる</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>検索中…</source>
        <translation>Searching…</translation>
    </message>
    <message>
        <source>検索できません：{e}</source>
        <translation>Cannot search: {e}</translation>
    </message>
    <message>
        <source>{n} 人</source>
        <translation>{n} patient(s)</translation>
    </message>
    <message>
        <source>カルテ番号</source>
        <translation>Chart no.</translation>
    </message>
    <message>
        <source>氏名</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>カナ氏名</source>
        <translation>Kana</translation>
    </message>
    <message>
        <source>生年月日</source>
        <translation>Date of birth</translation>
    </message>
    <message>
        <source>生年月日（日付として読めません）</source>
        <translation>date of birth (not a readable date)</translation>
    </message>
    <message>
        <source>保険者番号（誤り）</source>
        <translation>insurer no. (wrong)</translation>
    </message>
    <message>
        <source>受付開始の前に入力してください：{fields}</source>
        <translation>Enter before starting: {fields}</translation>
    </message>
</context>
<context>
    <name>NumberField</name>
    <message>
        <source>（根拠は二次資料のみ）</source>
        <translation>(secondary sources only)</translation>
    </message>
    <message>
        <source>検証番号OK</source>
        <translation>Check digit OK</translation>
    </message>
    <message>
        <source>数字以外が含まれています</source>
        <translation>Contains non-digits</translation>
    </message>
    <message>
        <source>桁数が違います</source>
        <translation>Wrong number of digits</translation>
    </message>
    <message>
        <source>都道府県番号が01〜47ではありません</source>
        <translation>Prefecture number is not 01–47</translation>
    </message>
    <message>
        <source>検証番号が合いません（正しくは {d}）</source>
        <translation>Check digit does not match (should be {d})</translation>
    </message>
    <message>
        <source>不詳請求用の番号です</source>
        <translation>This is the number for claims with unknown insurer</translation>
    </message>
    <message>
        <source>番号が正しくありません</source>
        <translation>The number is not valid</translation>
    </message>
</context>
<context>
    <name>NumbersFields</name>
    <message>
        <source>保険者番号(&amp;I)</source>
        <translation>&amp;Insurer number</translation>
    </message>
    <message>
        <source>記号(&amp;Y)</source>
        <translation>S&amp;ymbol</translation>
    </message>
    <message>
        <source>番号(&amp;M)</source>
        <translation>Nu&amp;mber</translation>
    </message>
    <message>
        <source>枝番(&amp;E)</source>
        <translation>Branch (&amp;E)</translation>
    </message>
    <message>
        <source>生年月日(&amp;B)</source>
        <translation>Date of &amp;birth</translation>
    </message>
</context>
<context>
    <name>NumbersQuery</name>
    <message>
        <source>照会に使う番号（書類から読み取り）</source>
        <extracomment>What is missing, in words (the panel shows it with the runtime&apos;s problems).</extracomment>
        <translation>Numbers for the query (read off the document)</translation>
    </message>
    <message>
        <source>この番号で照会する(&amp;Q)</source>
        <translation>&amp;Query with these numbers</translation>
    </message>
</context>
<context>
    <name>PastedAppText</name>
    <message>
        <source>マイナ資格確認アプリの結果を貼り付け</source>
        <translation>Paste the result of the マイナ資格確認アプリ</translation>
    </message>
    <message>
        <source>アプリの「コピー」で取った結果をここに貼り付けます（Ctrl+V）</source>
        <translation>Paste here what the app&apos;s Copy button copied (Ctrl+V)</translation>
    </message>
    <message>
        <source>貼り付けた結果を使う(&amp;T)</source>
        <translation>Use the pas&amp;ted result</translation>
    </message>
</context>
<context>
    <name>PdfDropArea</name>
    <message>
        <source>ここにマイナポータルのPDFをドラッグ＆ドロップ</source>
        <translation>Drag and drop the Mynaportal PDF here</translation>
    </message>
</context>
<context>
    <name>PdfImport</name>
    <message>
        <source>マイナポータルのPDFを選ぶ</source>
        <translation>Choose the Mynaportal PDF</translation>
    </message>
    <message>
        <source>PDF (*.pdf)</source>
        <translation>PDF (*.pdf)</translation>
    </message>
    <message>
        <source>PDFを読み取っています…</source>
        <translation>Reading the PDF…</translation>
    </message>
</context>
<context>
    <name>PinDialog</name>
    <message>
        <source>暗証番号の入力（患者さん用）</source>
        <translation>PIN entry (for the patient)</translation>
    </message>
    <message>
        <source>模擬カード（デモ）：実在のカードではありません</source>
        <translation>SIMULATED card (demo): not a real card</translation>
    </message>
    <message>
        <source>マイナンバーカードの暗証番号（数字4桁）を入力してください</source>
        <translation>Enter the 4-digit PIN of your My Number card</translation>
    </message>
    <message>
        <source>あと {n} 回 間違えるとカードがロックされます</source>
        <translation>{n} more wrong tries lock the card</translation>
    </message>
    <message>
        <source>最後の1回です。間違えるとカードがロックされ、市区町村の窓口での手続きが必要になります。暗証番号に自信がなければ入力せず、職員にお伝えください。</source>
        <translation>This is the last try. A wrong PIN locks the card and it must then be reset at the city office. If you are not sure of your PIN, do not enter it: please tell the staff.</translation>
    </message>
    <message>
        <source>最後の1回であることを理解して入力します(&amp;C)</source>
        <translation>I understand this is the last try (&amp;C)</translation>
    </message>
    <message>
        <source>訂正</source>
        <translation>Delete</translation>
    </message>
    <message>
        <source>決定</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>数字キーでも入力できます。Backspaceで1文字消去、Enterで決定。</source>
        <translation>You can also use the number keys. Backspace deletes one digit, Enter confirms.</translation>
    </message>
    <message>
        <source>暗証番号が分からない・入力しない(&amp;U)</source>
        <translation>I do not know the PIN / will not enter it (&amp;U)</translation>
    </message>
</context>
<context>
    <name>PinSection</name>
    <message>
        <source>暗証番号</source>
        <extracomment>(visit_id) staff want the PIN pad (re)opened.</extracomment>
        <translation>PIN</translation>
    </message>
    <message>
        <source>暗証番号の入力画面を開く(&amp;P)</source>
        <translation>Open the &amp;PIN pad</translation>
    </message>
    <message>
        <source>もう一度入力してもらう(&amp;R)</source>
        <translation>&amp;Retry the PIN</translation>
    </message>
    <message>
        <source>目視確認に切り替える(&amp;V)</source>
        <translation>Switch to &amp;visual check</translation>
    </message>
    <message>
        <source>残り {n} 回</source>
        <translation>{n} tries left</translation>
    </message>
    <message>
        <source>&#x3000;⚠ 最後の1回：間違えるとロックされます</source>
        <translation>  ⚠ Last try: a wrong PIN locks the card</translation>
    </message>
</context>
<context>
    <name>PortalPdfBox</name>
    <message>
        <source>マイナポータルのPDF</source>
        <extracomment>Staff want to choose the file with the file dialog. (path) a file was dropped.</extracomment>
        <translation>Mynaportal PDF</translation>
    </message>
    <message>
        <source>PDFファイルを選ぶ(&amp;O)…</source>
        <translation>Ch&amp;oose a PDF file…</translation>
    </message>
    <message>
        <source>PDFの内容を原本（画面・紙）と1項目ずつ照合し、確認した(&amp;K)</source>
        <translation>I chec&amp;ked the PDF item by item against the original (screen or paper)</translation>
    </message>
    <message>
        <source>氏名</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>カナ氏名</source>
        <translation>Kana</translation>
    </message>
    <message>
        <source>生年月日</source>
        <translation>Date of birth</translation>
    </message>
    <message>
        <source>保険者</source>
        <translation>Insurer</translation>
    </message>
    <message>
        <source>保険者番号</source>
        <translation>Insurer no.</translation>
    </message>
    <message>
        <source>記号</source>
        <translation>Symbol</translation>
    </message>
    <message>
        <source>番号</source>
        <translation>Number</translation>
    </message>
    <message>
        <source>枝番</source>
        <translation>Branch</translation>
    </message>
    <message>
        <source>負担割合</source>
        <translation>Co-payment</translation>
    </message>
    <message>
        <source>{n}割</source>
        <translation>{n}0%</translation>
    </message>
    <message>
        <source>有効期限</source>
        <translation>Valid until</translation>
    </message>
    <message>
        <source>PDFの取得日時</source>
        <translation>PDF obtained at</translation>
    </message>
    <message>
        <source>読めず：原本で確認</source>
        <translation>unreadable: check the original</translation>
    </message>
    <message>
        <source>マイナポータルのPDFと確認できません</source>
        <translation>Cannot confirm this is a Mynaportal PDF</translation>
    </message>
    <message>
        <source>注意：{code}</source>
        <translation>Caution: {code}</translation>
    </message>
    <message>
        <source>{field}：登録「{a}」≠ PDF「{b}」</source>
        <translation>{field}: on file “{a}” ≠ PDF “{b}”</translation>
    </message>
    <message>
        <source>PDFから読み取った内容（そのまま信用せず、原本と照合してください）</source>
        <translation>Read from the PDF (do not trust it as is: compare it with the original)</translation>
    </message>
</context>
<context>
    <name>Printouts</name>
    <message>
        <source>{n} ページを印刷しました。</source>
        <translation>Printed {n} page(s).</translation>
    </message>
    <message>
        <source>PDFとして保存</source>
        <translation>Save as PDF</translation>
    </message>
    <message>
        <source>PDF (*.pdf)</source>
        <translation>PDF (*.pdf)</translation>
    </message>
    <message>
        <source>保存しました：{p}</source>
        <translation>Saved: {p}</translation>
    </message>
    <message>
        <source>印刷できません：{e}</source>
        <translation>Cannot print: {e}</translation>
    </message>
</context>
<context>
    <name>PublicExpenseSection</name>
    <message>
        <source>公費（医療費助成）</source>
        <translation>Public expense (medical subsidy)</translation>
    </message>
    <message>
        <source>紙の受給者証を確認した(&amp;Y)</source>
        <translation>&amp;Yes, paper certificate seen</translation>
    </message>
    <message>
        <source>受給者証の持参なし(&amp;N)</source>
        <translation>&amp;No certificate with them</translation>
    </message>
    <message>
        <source>公費負担者番号</source>
        <translation>Public payer number</translation>
    </message>
    <message>
        <source>次の公費はオンラインで確認できません。紙の受給者証を見せてもらってください。</source>
        <translation>These public expenses cannot be checked online. Ask for the paper certificate.</translation>
    </message>
</context>
<context>
    <name>RecordSection</name>
    <message>
        <source>記録</source>
        <translation>Record</translation>
    </message>
    <message>
        <source>番号で再照会する(&amp;Q)</source>
        <translation>Re-&amp;query with the numbers</translation>
    </message>
    <message>
        <source>記録を再試行(&amp;R)</source>
        <translation>&amp;Retry recording</translation>
    </message>
    <message>
        <source>この受付を閉じる(&amp;W)</source>
        <translation>Close this visit (&amp;W)</translation>
    </message>
    <message>
        <source>本人確認の判断を待っています（まだ記録していません）。</source>
        <translation>Waiting for your identity decision (nothing recorded yet).</translation>
    </message>
    <message>
        <source>受付は中止されました。</source>
        <translation>The visit was cancelled.</translation>
    </message>
    <message>
        <source>⚠ 記録をまだ保存できていません（内容は保持しています）。</source>
        <translation>⚠ The record is not saved yet (nothing is lost).</translation>
    </message>
    <message>
        <source>記録を保存しています…</source>
        <translation>Saving the record…</translation>
    </message>
    <message>
        <source>✓ 記録しました：{path}（記録番号 {ids}）</source>
        <translation>✓ Recorded: {path} (record no. {ids})</translation>
    </message>
    <message>
        <source>記録を待っています。</source>
        <translation>Waiting for the record.</translation>
    </message>
    <message>
        <source>【模擬】この記録は模擬として保存されます。</source>
        <translation>[SIMULATED] This record is saved as simulated.</translation>
    </message>
</context>
<context>
    <name>ResultPanel</name>
    <message>
        <source>資格確認の結果</source>
        <translation>Eligibility result</translation>
    </message>
    <message>
        <source>結果はまだありません</source>
        <translation>No result yet</translation>
    </message>
    <message>
        <source>結果</source>
        <translation>Result</translation>
    </message>
    <message>
        <source>【模擬】</source>
        <translation>[SIMULATED] </translation>
    </message>
    <message>
        <source>記録はまだありません</source>
        <translation>Nothing recorded yet</translation>
    </message>
    <message>
        <source>記録済み：{outcome}</source>
        <translation>Recorded: {outcome}</translation>
    </message>
    <message>
        <source>端末の回答</source>
        <translation>Terminal&apos;s answer</translation>
    </message>
    <message>
        <source>保存された回答を読み直せません（記録は有効です）</source>
        <translation>The kept answer cannot be read again (the record stands)</translation>
    </message>
    <message>
        <source>⚠ 別人の可能性：登録されている患者と氏名・生年月日が異なります</source>
        <translation>⚠ Possibly another person: name / birth date differ from the patient on file</translation>
    </message>
    <message>
        <source>⚠ 登録内容と異なる項目があります（保険の変更など）</source>
        <translation>⚠ Some fields differ from the patient on file (e.g. new insurance)</translation>
    </message>
    <message>
        <source>{field}：登録「{on_file}」≠ 結果「{result}」</source>
        <translation>{field}: on file &quot;{on_file}&quot; ≠ result &quot;{result}&quot;</translation>
    </message>
    <message>
        <source>登録されている患者</source>
        <translation>Patient on file</translation>
    </message>
    <message>
        <source>カルテ番号</source>
        <translation>Chart no.</translation>
    </message>
    <message>
        <source>氏名</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>カナ氏名</source>
        <translation>Kana</translation>
    </message>
    <message>
        <source>生年月日</source>
        <translation>Date of birth</translation>
    </message>
    <message>
        <source>性別</source>
        <translation>Sex</translation>
    </message>
    <message>
        <source>保険者番号</source>
        <translation>Insurer no.</translation>
    </message>
    <message>
        <source>記号・番号・枝番</source>
        <translation>Symbol · number · branch</translation>
    </message>
    <message>
        <source>≠ 登録：{on_file}</source>
        <translation>≠ on file: {on_file}</translation>
    </message>
    <message>
        <source>記録日時</source>
        <translation>Recorded at</translation>
    </message>
    <message>
        <source>確認方法</source>
        <translation>Verification path</translation>
    </message>
    <message>
        <source>理由</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>提示書類</source>
        <translation>Documents presented</translation>
    </message>
    <message>
        <source>根拠ルール</source>
        <translation>Rules</translation>
    </message>
    <message>
        <source>担当</source>
        <translation>Staff</translation>
    </message>
    <message>
        <source>模擬</source>
        <translation>Simulated</translation>
    </message>
    <message>
        <source>模擬の記録（実在の資格確認ではありません）</source>
        <translation>Simulated record (not a real eligibility check)</translation>
    </message>
    <message>
        <source>記録 {n}（記録番号 {id}）</source>
        <translation>Record {n} (no. {id})</translation>
    </message>
    <message>
        <source>模擬端末の結果です（実在の資格情報ではありません）</source>
        <translation>Result from the SIMULATED terminal (not real eligibility data)</translation>
    </message>
    <message>
        <source>端末の応答</source>
        <translation>Terminal response</translation>
    </message>
    <message>
        <source>処理結果</source>
        <translation>Processing result</translation>
    </message>
    <message>
        <source>エラーコード</source>
        <translation>Error code</translation>
    </message>
    <message>
        <source>エラー内容</source>
        <translation>Error message</translation>
    </message>
    <message>
        <source>読み取り時の注意</source>
        <translation>Notes from reading</translation>
    </message>
    <message>
        <source>窓口が読み取らない項目です（端末の回答ファイルはそのまま保存されています）</source>
        <translation>Items Madoguchi does not read (the terminal&apos;s answer file is kept unchanged)</translation>
    </message>
    <message>
        <source>未対応の項目</source>
        <translation>Unsupported items</translation>
    </message>
    <message>
        <source>福祉事務所</source>
        <translation>Welfare office</translation>
    </message>
    <message>
        <source>保険の種類</source>
        <translation>Insurance type</translation>
    </message>
    <message>
        <source>保険者</source>
        <translation>Insurer</translation>
    </message>
    <message>
        <source>記号</source>
        <translation>Symbol</translation>
    </message>
    <message>
        <source>番号</source>
        <translation>Number</translation>
    </message>
    <message>
        <source>枝番</source>
        <translation>Branch</translation>
    </message>
    <message>
        <source>本人・家族</source>
        <translation>Insured / family</translation>
    </message>
    <message>
        <source>負担割合</source>
        <translation>Co-payment</translation>
    </message>
    <message>
        <source>{n}割</source>
        <translation>{n}0%</translation>
    </message>
    <message>
        <source>資格取得日</source>
        <translation>Qualified since</translation>
    </message>
    <message>
        <source>資格喪失日</source>
        <translation>Disqualified on</translation>
    </message>
    <message>
        <source>有効期間</source>
        <translation>Valid</translation>
    </message>
    <message>
        <source>本人</source>
        <translation>Person</translation>
    </message>
    <message>
        <source>保険</source>
        <translation>Insurance</translation>
    </message>
    <message>
        <source>高齢受給者</source>
        <translation>Elderly recipient (70–74)</translation>
    </message>
    <message>
        <source>限度額適用</source>
        <translation>Limit certificate</translation>
    </message>
    <message>
        <source>適用区分</source>
        <translation>Category</translation>
    </message>
    <message>
        <source>特定疾病療養</source>
        <translation>Specific disease treatment</translation>
    </message>
    <message>
        <source>区分</source>
        <translation>Category</translation>
    </message>
    <message>
        <source>自己負担限度額</source>
        <translation>Self-pay limit</translation>
    </message>
    <message>
        <source>公費（医療費助成）</source>
        <translation>Public expense (medical subsidy)</translation>
    </message>
    <message>
        <source>制度</source>
        <translation>Programme</translation>
    </message>
    <message>
        <source>公費負担者番号</source>
        <translation>Public payer number</translation>
    </message>
    <message>
        <source>受給者番号</source>
        <translation>Recipient number</translation>
    </message>
    <message>
        <source>自己負担上限</source>
        <translation>Self-pay ceiling</translation>
    </message>
    <message>
        <source>医療扶助</source>
        <translation>Medical assistance (welfare)</translation>
    </message>
    <message>
        <source>医療券・調剤券</source>
        <translation>Medical / dispensing ticket</translation>
    </message>
    <message>
        <source>情報なし</source>
        <translation>No information</translation>
    </message>
    <message>
        <source>医療扶助（医療券・調剤券）</source>
        <translation>Medical assistance (medical / dispensing ticket)</translation>
    </message>
    <message>
        <source>券種</source>
        <translation>Ticket type</translation>
    </message>
    <message>
        <source>交付番号</source>
        <translation>Issue number</translation>
    </message>
    <message>
        <source>診療年月</source>
        <translation>Treatment month</translation>
    </message>
    <message>
        <source>指定医療機関</source>
        <translation>Designated institution</translation>
    </message>
    <message>
        <source>本人支払額</source>
        <translation>Amount the patient pays</translation>
    </message>
    <message>
        <source>傷病名</source>
        <translation>Diagnoses</translation>
    </message>
</context>
<context>
    <name>RolledBackDialog</name>
    <message>
        <source>監査記録の巻き戻り：管理者の確認</source>
        <translation>Audit record rolled back: administrator&apos;s decision</translation>
    </message>
    <message>
        <source>データベースを古いコピーに戻した・バックアップから復元したなど、理由が分かっている場合に限り、今のデータベースを正として記録を再開できます。判断と理由は監査記録に残ります。心当たりがなければ再開せず、データベースの管理者に連絡してください。</source>
        <translation>Only when the reason is known (the database was put back to an older copy, restored from a backup, …) may recording resume with the current database as the record. The decision and its reason are kept in the audit record. If you do not know why, do not resume: contact the database administrator.</translation>
    </message>
    <message>
        <source>理由（必須・監査記録に残ります）</source>
        <translation>Reason (required; kept in the audit record)</translation>
    </message>
    <message>
        <source>確認を記録して再開</source>
        <translation>Record the decision and resume</translation>
    </message>
    <message>
        <source>キャンセル</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>RouteOptions</name>
    <message>
        <source>今日このお客さんに使える確認方法（ルールより）</source>
        <translation>Ways to verify accepted today (from the rules)</translation>
    </message>
    <message>
        <source>この方法で進める(&amp;G)</source>
        <translation>&amp;Go with this option</translation>
    </message>
    <message>
        <source>まずすること：</source>
        <translation>First steps:</translation>
    </message>
    <message>
        <source>【推奨】</source>
        <translation>[RECOMMENDED] </translation>
    </message>
    <message>
        <source>書類：</source>
        <translation>Documents: </translation>
    </message>
    <message>
        <source>書類：なし</source>
        <translation>Documents: none</translation>
    </message>
    <message>
        <source>根拠：</source>
        <translation>Rules: </translation>
    </message>
    <message>
        <source>このカードで使えるのは {d} まで（カードの電子証明書の有効期限に猶予期間を加えた日：DOC-11）</source>
        <translation>This card can be used until {d} (its e-certificate&apos;s expiry plus the grace period: DOC-11)</translation>
    </message>
    <message>
        <source>書類の有効期限（券面など）：{d} まで</source>
        <translation>Document valid until {d} (printed expiry)</translation>
    </message>
    <message>
        <source>この取扱いが認められるのは {d} まで（期限付きの取扱い）</source>
        <translation>This handling is allowed until {d} (a temporary measure)</translation>
    </message>
    <message>
        <source>書類</source>
        <translation>Documents</translation>
    </message>
    <message>
        <source>なし</source>
        <translation>None</translation>
    </message>
    <message>
        <source>記録される確認方法</source>
        <translation>Recorded verification path</translation>
    </message>
    <message>
        <source>記録される結果</source>
        <translation>Recorded outcome</translation>
    </message>
    <message>
        <source>条件</source>
        <translation>Conditions</translation>
    </message>
    <message>
        <source>期限</source>
        <translation>Until</translation>
    </message>
    <message>
        <source>根拠ルール</source>
        <translation>Rules</translation>
    </message>
    <message>
        <source>出典</source>
        <translation>Sources</translation>
    </message>
</context>
<context>
    <name>SessionPanel</name>
    <message>
        <source>模擬</source>
        <extracomment>Reasons staff can observe at the desk and report themselves (the runtime reports the rest). (visit_id) the panel wants the PIN pad (re)opened. (visit_id) print a 被保険者資格申立書 for this patient. (visit_id) choose a マイナポータル PDF with the file dialog. (visit_id, path) a PDF was dropped.</extracomment>
        <translation>Simulated</translation>
    </message>
    <message>
        <source>仮想カード・模擬端末・デモを使った受付です（記録も模擬）</source>
        <translation>This visit uses a virtual card, the simulated terminal or the demo (recorded as simulated)</translation>
    </message>
    <message>
        <source>うまくいかない理由(&amp;F)：</source>
        <translation>What &amp;failed:</translation>
    </message>
    <message>
        <source>選んでください</source>
        <translation>Choose</translation>
    </message>
    <message>
        <source>代替手段へ(&amp;A)</source>
        <translation>Fall b&amp;ack</translation>
    </message>
    <message>
        <source>受付を中止(&amp;X)</source>
        <translation>Cancel visit (&amp;X)</translation>
    </message>
    <message>
        <source>受付を選ぶか、新しい受付を始めてください（Ctrl+N）</source>
        <translation>Select a visit or start a new one (Ctrl+N)</translation>
    </message>
    <message>
        <source>再診</source>
        <translation>revisit</translation>
    </message>
    <message>
        <source>初診</source>
        <translation>first visit</translation>
    </message>
    <message>
        <source>カルテ</source>
        <translation>Chart</translation>
    </message>
    <message>
        <source>理由：{reason}</source>
        <translation>Reason: {reason}</translation>
    </message>
    <message>
        <source>再照会の結果が記録と違います：どちらで記録するか選んでください</source>
        <translation>The re-query answer differs from the record: choose which to record</translation>
    </message>
    <message>
        <source>カルテと確認結果が違います：記録の前に選んでください</source>
        <translation>The chart and the verified details differ: decide before recording</translation>
    </message>
    <message>
        <source>本当に中止する（もう一度押す）(&amp;X)</source>
        <translation>Really cancel (press again) (&amp;X)</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>設定（管理者）</source>
        <extracomment>This PC&apos;s connections; None in demo mode (nothing to edit).</extracomment>
        <translation>Settings (administrator)</translation>
    </message>
    <message>
        <source>施設</source>
        <translation>Facility</translation>
    </message>
    <message>
        <source>施設名(&amp;N)</source>
        <translation>&amp;Name</translation>
    </message>
    <message>
        <source>種別(&amp;K)</source>
        <translation>&amp;Kind</translation>
    </message>
    <message>
        <source>オンライン資格確認(&amp;M)</source>
        <translation>Online eligibility check (&amp;M)</translation>
    </message>
    <message>
        <source>医療機関コード（10桁）</source>
        <translation>Institution code (10 digits)</translation>
    </message>
    <message>
        <source>都道府県コード</source>
        <translation>Prefecture code</translation>
    </message>
    <message>
        <source>市区町村コード</source>
        <translation>Municipality code</translation>
    </message>
    <message>
        <source>有効なフロー</source>
        <translation>Enabled flows</translation>
    </message>
    <message>
        <source>受付と印刷</source>
        <translation>Desk and printing</translation>
    </message>
    <message>
        <source> 分</source>
        <translation> min</translation>
    </message>
    <message>
        <source>印刷時の患者表示(&amp;P)</source>
        <translation>&amp;Patient names on printouts</translation>
    </message>
    <message>
        <source>自動ロックまでの時間(&amp;L)</source>
        <translation>Auto-&amp;lock after</translation>
    </message>
    <message>
        <source>文字の大きさ(&amp;F)</source>
        <translation>&amp;Font size</translation>
    </message>
    <message>
        <source>表示言語(&amp;G)</source>
        <translation>Lan&amp;guage</translation>
    </message>
    <message>
        <source>この端末の接続先（設定ファイル madoguchi.toml）</source>
        <translation>This PC&apos;s connections (settings file madoguchi.toml)</translation>
    </message>
    <message>
        <source>保存(&amp;S)</source>
        <translation>&amp;Save</translation>
    </message>
    <message>
        <source>閉じる</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>参照(&amp;B)…</source>
        <translation>&amp;Browse…</translation>
    </message>
    <message>
        <source>資格確認端末のフォルダなし（資格確認限定型）</source>
        <translation>No terminal folder (資格確認限定型)</translation>
    </message>
    <message>
        <source>postgresql://user@host:5432/madoguchi または SQLite ファイルのパス</source>
        <translation>postgresql://user@host:5432/madoguchi or the path of a SQLite file</translation>
    </message>
    <message>
        <source>資格確認端末のフォルダ(&amp;T)</source>
        <translation>&amp;Terminal folder</translation>
    </message>
    <message>
        <source>医療機関コード（端末の依頼ファイル用・10桁）(&amp;O)</source>
        <translation>Institution c&amp;ode for terminal requests (10 digits)</translation>
    </message>
    <message>
        <source>依頼ファイルの文字コード(&amp;E)</source>
        <translation>Request &amp;encoding</translation>
    </message>
    <message>
        <source>データベース(&amp;D)</source>
        <translation>&amp;Database</translation>
    </message>
    <message>
        <source>デモモードでは接続先は変更できません（デモ専用のフォルダを使います）。</source>
        <translation>In demo mode the connections cannot be changed (the demo uses its own folder).</translation>
    </message>
    <message>
        <source>ここを変更した場合は、保存後にアプリの再起動が必要です。</source>
        <translation>Changes here need a restart of the app after saving.</translation>
    </message>
    <message>
        <source>資格確認端末のフォルダ（req・res・face のある場所）</source>
        <translation>Terminal folder (the one with req, res and face)</translation>
    </message>
    <message>
        <source>資格確認端末のフォルダを入力するか、「フォルダなし」を選んでください。</source>
        <translation>Enter the terminal folder, or choose “No terminal folder”.</translation>
    </message>
    <message>
        <source>端末の依頼ファイル用の医療機関コードは数字10桁です。</source>
        <translation>The institution code for terminal requests has 10 digits.</translation>
    </message>
    <message>
        <source>⚠ 接続先を変更します：保存後、アプリを再起動すると有効になります。</source>
        <translation>⚠ The connections change: they take effect when the app restarts after saving.</translation>
    </message>
    <message>
        <source>医療機関コードは数字10桁です。</source>
        <translation>The institution code has 10 digits.</translation>
    </message>
</context>
<context>
    <name>StatusStrip</name>
    <message>
        <source>デモ（模擬）</source>
        <translation>DEMO (simulated)</translation>
    </message>
    <message>
        <source>本番</source>
        <translation>Production</translation>
    </message>
    <message>
        <source>デモモード</source>
        <translation>Demo mode</translation>
    </message>
    <message>
        <source>仮想カードリーダー</source>
        <translation>virtual card reader</translation>
    </message>
    <message>
        <source>模擬の資格確認端末</source>
        <translation>simulated verification terminal</translation>
    </message>
    <message>
        <source>【模擬】{parts}：表示・記録される結果は実在の資格情報ではありません</source>
        <translation>[SIMULATED] {parts}: results shown and recorded are not real eligibility data</translation>
    </message>
    <message>
        <source>・定期確認</source>
        <translation> · polled</translation>
    </message>
    <message>
        <source>データベース：記録停止中</source>
        <translation>Database: recording stopped</translation>
    </message>
    <message>
        <source>データベース：正常</source>
        <translation>Database: OK</translation>
    </message>
    <message>
        <source>データベース：使用できません</source>
        <translation>Database: unavailable</translation>
    </message>
    <message>
        <source>（管理者）</source>
        <translation> (admin)</translation>
    </message>
    <message>
        <source>管理者の確認を記録…</source>
        <extracomment>An administrator asked to record the decision on a rolled-back chain.</extracomment>
        <translation>Record the administrator&apos;s decision…</translation>
    </message>
    <message>
        <source>担当：{name}</source>
        <translation>Staff: {name}</translation>
    </message>
    <message>
        <source>担当：{name}（ロック中）</source>
        <translation>Staff: {name} (locked)</translation>
    </message>
    <message>
        <source>担当：未ログイン</source>
        <translation>Staff: not logged in</translation>
    </message>
    <message>
        <source>有効なフロー：</source>
        <translation>Enabled flows: </translation>
    </message>
    <message>
        <source>施設：未設定</source>
        <translation>Facility: not set</translation>
    </message>
</context>
<context>
    <name>Texts</name>
    <message>
        <source>確認方法を選んでください</source>
        <translation>Choose how to verify</translation>
    </message>
    <message>
        <source>マイナンバーカードを待っています</source>
        <translation>Waiting for the My Number card</translation>
    </message>
    <message>
        <source>カードを読み取っています</source>
        <translation>Reading the card</translation>
    </message>
    <message>
        <source>患者さんが暗証番号を入力します</source>
        <translation>The patient enters the PIN</translation>
    </message>
    <message>
        <source>暗証番号が違いました</source>
        <translation>Wrong PIN</translation>
    </message>
    <message>
        <source>目視確認：顔写真と本人を見比べてください</source>
        <translation>Visual check: compare the photo with the patient</translation>
    </message>
    <message>
        <source>資格確認端末の応答を待っています</source>
        <translation>Waiting for the verification terminal</translation>
    </message>
    <message>
        <source>顔認証リーダー等の結果を待っています</source>
        <translation>Waiting for the face reader result</translation>
    </message>
    <message>
        <source>提示された書類を記録してください</source>
        <translation>Record the documents presented</translation>
    </message>
    <message>
        <source>公費の受給者証を確認してください</source>
        <translation>Check the public-expense certificate</translation>
    </message>
    <message>
        <source>資格確認が終わりました</source>
        <translation>Eligibility check finished</translation>
    </message>
    <message>
        <source>受付を中止しました</source>
        <translation>Visit cancelled</translation>
    </message>
    <message>
        <source>方法選択</source>
        <translation>Choosing</translation>
    </message>
    <message>
        <source>カード待ち</source>
        <translation>Waiting card</translation>
    </message>
    <message>
        <source>読取中</source>
        <translation>Reading</translation>
    </message>
    <message>
        <source>暗証番号入力中</source>
        <translation>PIN entry</translation>
    </message>
    <message>
        <source>暗証番号誤り</source>
        <translation>Wrong PIN</translation>
    </message>
    <message>
        <source>目視確認</source>
        <translation>Visual check</translation>
    </message>
    <message>
        <source>端末照会中</source>
        <translation>Querying</translation>
    </message>
    <message>
        <source>結果待ち</source>
        <translation>Waiting result</translation>
    </message>
    <message>
        <source>書類確認</source>
        <translation>Documents</translation>
    </message>
    <message>
        <source>公費確認</source>
        <translation>Public expense</translation>
    </message>
    <message>
        <source>完了</source>
        <translation>Done</translation>
    </message>
    <message>
        <source>中止</source>
        <translation>Cancelled</translation>
    </message>
    <message>
        <source>カードをカードリーダーに置いてもらってください。</source>
        <translation>Ask the patient to put the card on the reader.</translation>
    </message>
    <message>
        <source>カードを読み取り中です。カードを動かさないでください。</source>
        <translation>Reading the card. Do not move it.</translation>
    </message>
    <message>
        <source>患者さんの暗証番号の入力を待っています。</source>
        <translation>Waiting for the patient to enter the PIN.</translation>
    </message>
    <message>
        <source>カードが暗証番号を確認しています。</source>
        <translation>The card is checking the PIN.</translation>
    </message>
    <message>
        <source>資格確認端末に照会中です。</source>
        <translation>Querying the verification terminal.</translation>
    </message>
    <message>
        <source>この端末はカードでの照会ができません。患者さんに顔認証付きカードリーダーで確認してもらうか、マイナ資格確認アプリの結果を貼り付けてください。</source>
        <translation>This terminal cannot be queried with the card. Have the patient use the face-recognition card reader, or paste the マイナ資格確認アプリ result.</translation>
    </message>
    <message>
        <source>顔認証付きカードリーダー等の結果ファイルを待っています。</source>
        <translation>Waiting for the face-recognition reader&apos;s result file.</translation>
    </message>
    <message>
        <source>マイナ資格確認アプリの結果を貼り付けてください。</source>
        <translation>Paste the result of the マイナ資格確認アプリ.</translation>
    </message>
    <message>
        <source>照会に使う保険者番号・記号・番号・生年月日を入力してください。</source>
        <translation>Enter the insurer number, symbol, number and date of birth for the query.</translation>
    </message>
    <message>
        <source>記録を保存しています。</source>
        <translation>Saving the record.</translation>
    </message>
    <message>
        <source>カードリーダー：PC/SCサービスなし</source>
        <translation>Reader: no PC/SC service</translation>
    </message>
    <message>
        <source>カードリーダー：未接続</source>
        <translation>Reader: not connected</translation>
    </message>
    <message>
        <source>カードリーダー：接続（カードなし）</source>
        <translation>Reader: connected (no card)</translation>
    </message>
    <message>
        <source>カードリーダー：カードあり</source>
        <translation>Reader: card present</translation>
    </message>
    <message>
        <source>（仮想）</source>
        <translation> (virtual)</translation>
    </message>
    <message>
        <source>資格確認端末：なし（限定型）</source>
        <translation>Terminal: none (limited type)</translation>
    </message>
    <message>
        <source>資格確認端末：接続できません</source>
        <translation>Terminal: UNREACHABLE</translation>
    </message>
    <message>
        <source>（模擬）</source>
        <translation> (simulated)</translation>
    </message>
    <message>
        <source>資格確認端末：模擬（シミュレーター）</source>
        <translation>Terminal: SIMULATED</translation>
    </message>
    <message>
        <source>資格確認端末：接続</source>
        <translation>Terminal: connected</translation>
    </message>
    <message>
        <source>フォルダー監視：開始前</source>
        <translation>Folder watch: not started</translation>
    </message>
    <message>
        <source>フォルダー監視：変更通知（すぐに届きます）</source>
        <translation>Folder watch: change notifications (results arrive at once)</translation>
    </message>
    <message>
        <source>フォルダー監視：定期確認（設定 watch = poll）</source>
        <translation>Folder watch: polled (configured watch = poll)</translation>
    </message>
    <message>
        <source>フォルダー監視：定期確認（ネットワーク共有のため変更通知を使いません）</source>
        <translation>Folder watch: polled (a network share: change notifications are not used)</translation>
    </message>
    <message>
        <source>フォルダー監視：定期確認（変更通知が使えません）</source>
        <translation>Folder watch: polled (change notifications are unavailable)</translation>
    </message>
    <message>
        <source>操作</source>
        <translation>Actions</translation>
    </message>
    <message>
        <source>カード</source>
        <translation>Card</translation>
    </message>
    <message>
        <source>暗証番号</source>
        <translation>PIN</translation>
    </message>
    <message>
        <source>資格確認端末</source>
        <translation>Verification terminal</translation>
    </message>
    <message>
        <source>データベース</source>
        <translation>Database</translation>
    </message>
    <message>
        <source>マイナポータルPDF</source>
        <translation>Mynaportal PDF</translation>
    </message>
    <message>
        <source>貼り付けた結果</source>
        <translation>Pasted result</translation>
    </message>
    <message>
        <source>ログイン</source>
        <translation>Log in</translation>
    </message>
    <message>
        <source>デモ</source>
        <translation>Demo</translation>
    </message>
    <message>
        <source>設定</source>
        <translation>Settings</translation>
    </message>
    <message>
        <source>監査記録が巻き戻された可能性があります（このPCが記録した内容より古いか、別のデータベースです）。管理者の確認が必要です。確認が記録されるまで、受付の記録はできません。</source>
        <translation>The audit record may have been rolled back (the database is older than what this PC recorded, or another one). An administrator must check it. Until the decision is recorded, nothing can be recorded at the desk.</translation>
    </message>
    <message>
        <source>ユーザー名またはパスワードが違います。</source>
        <translation>Wrong user name or password.</translation>
    </message>
    <message>
        <source>このアカウントはロックされています。管理者に解除を依頼してください。</source>
        <translation>This account is locked. Ask an administrator to unlock it.</translation>
    </message>
    <message>
        <source>ログインしてください。</source>
        <translation>Please log in.</translation>
    </message>
    <message>
        <source>施設の設定がありません。管理者が設定してください。</source>
        <translation>The facility is not set up. An administrator must set it.</translation>
    </message>
    <message>
        <source>この受付はもう開いていません。</source>
        <translation>This visit is no longer open.</translation>
    </message>
    <message>
        <source>受付の内容が正しくありません。</source>
        <translation>The visit details are not valid.</translation>
    </message>
    <message>
        <source>今の画面ではその操作はできません。</source>
        <translation>That is not possible on this screen.</translation>
    </message>
    <message>
        <source>その操作は受付からはできません。</source>
        <translation>That cannot be done from the desk.</translation>
    </message>
    <message>
        <source>まだ確認が終わっていません。</source>
        <translation>The check is not finished yet.</translation>
    </message>
    <message>
        <source>照会には保険者番号・番号・生年月日が必要です。</source>
        <translation>A query needs the insurer number, the number and the date of birth.</translation>
    </message>
    <message>
        <source>残り1回です。入力を送る前に、最後の1回であることの確認が必要です。</source>
        <translation>One try left. Confirm that this is the last try before sending the PIN.</translation>
    </message>
    <message>
        <source>暗証番号は数字4桁です。</source>
        <translation>The PIN has 4 digits.</translation>
    </message>
    <message>
        <source>今は暗証番号を受け付けていません。</source>
        <translation>No PIN is expected now.</translation>
    </message>
    <message>
        <source>この受付は貼り付けた結果を待っていません。</source>
        <translation>This visit is not waiting for a pasted result.</translation>
    </message>
    <message>
        <source>照会を送れませんでした。</source>
        <translation>The query could not be sent.</translation>
    </message>
    <message>
        <source>資格確認端末から応答がありません。</source>
        <translation>No answer from the verification terminal.</translation>
    </message>
    <message>
        <source>遅れて届いた応答は、この受付には使いません。</source>
        <translation>A late answer is not used for this visit.</translation>
    </message>
    <message>
        <source>再試行する記録はありません。</source>
        <translation>There is no record to retry.</translation>
    </message>
    <message>
        <source>この顔認証の結果はもうありません。</source>
        <translation>This face-reader result is no longer there.</translation>
    </message>
    <message>
        <source>取り込んだPDFがありません。</source>
        <translation>No PDF was imported.</translation>
    </message>
    <message>
        <source>デモモードではありません。</source>
        <translation>Not in demo mode.</translation>
    </message>
    <message>
        <source>模擬端末がありません。</source>
        <translation>There is no simulated terminal.</translation>
    </message>
    <message>
        <source>顔認証付きカードリーダーの結果が届きません。患者さんが操作を終えたか確かめてください。結果が「顔認証リーダーの結果」に届いていれば、この受付に割り当てられます。届かなければ、別の確認方法を選んでください（このまま待つこともできます）。</source>
        <translation>No result has come from the face-recognition card reader. Check that the patient finished there. If the result is listed under &quot;Face-reader results&quot;, it can be attached to this visit. If not, choose another method (or keep waiting).</translation>
    </message>
    <message>
        <source>この受付は顔認証の結果を待っていないか、結果が別の人のものです。割り当てませんでした。</source>
        <translation>This visit is not waiting for a face result, or the result is another person&apos;s. It was not attached.</translation>
    </message>
    <message>
        <source>確認結果をレセコンのフォルダーに書き出せませんでした。記録は保存済みです。フォルダーの場所と空き容量を確かめ、レセコンには手で入力してください。</source>
        <translation>The result could not be written to the receipt computer&apos;s folder. The record is saved. Check the folder&apos;s location and free space, and enter this visit in the receipt computer by hand.</translation>
    </message>
    <message>
        <source>ルールデータに問題があります。</source>
        <translation>There is a problem with the rule data.</translation>
    </message>
    <message>
        <source>この操作は管理者だけができます。</source>
        <translation>Only an administrator can do this.</translation>
    </message>
    <message>
        <source>PDFファイルではありません。原本を目で確認してください。</source>
        <translation>Not a PDF file. Check the original by eye.</translation>
    </message>
    <message>
        <source>PDFが壊れています。原本を目で確認してください。</source>
        <translation>The PDF is damaged. Check the original by eye.</translation>
    </message>
    <message>
        <source>PDFにパスワードがかかっています。原本を目で確認してください。</source>
        <translation>The PDF is password-protected. Check the original by eye.</translation>
    </message>
    <message>
        <source>PDFが大きすぎます。原本を目で確認してください。</source>
        <translation>The PDF is too large. Check the original by eye.</translation>
    </message>
    <message>
        <source>PDFにページがありません。</source>
        <translation>The PDF has no pages.</translation>
    </message>
    <message>
        <source>PDFのページが多すぎます。原本を目で確認してください。</source>
        <translation>The PDF has too many pages. Check the original by eye.</translation>
    </message>
    <message>
        <source>PDFが画像だけで文字が読めません。原本を目で確認してください。</source>
        <translation>The PDF holds only images, no text. Check the original by eye.</translation>
    </message>
    <message>
        <source>PDFの中身が異常です。原本を目で確認してください。</source>
        <translation>The PDF content is abnormal. Check the original by eye.</translation>
    </message>
    <message>
        <source>PDFの読み取りが上限を超えました。原本を目で確認してください。</source>
        <translation>Reading the PDF exceeded its limits. Check the original by eye.</translation>
    </message>
    <message>
        <source>マイナポータルの資格情報PDFではないようです。</source>
        <translation>This does not look like a Mynaportal eligibility PDF.</translation>
    </message>
    <message>
        <source>PDFの読み取りが時間内に終わりませんでした。</source>
        <translation>Reading the PDF did not finish in time.</translation>
    </message>
    <message>
        <source>PDFを読み取れませんでした。原本を目で確認してください。</source>
        <translation>The PDF could not be read. Check the original by eye.</translation>
    </message>
    <message>
        <source>カードを読み取れませんでした。カードを一度外して置き直してください。</source>
        <translation>The card could not be read. Remove it and put it on the reader again.</translation>
    </message>
    <message>
        <source>資格確認端末との通信に問題があります。</source>
        <translation>There is a problem communicating with the verification terminal.</translation>
    </message>
    <message>
        <source>データベースに保存できませんでした。内容は保持しています。</source>
        <translation>Could not save to the database. Nothing is lost.</translation>
    </message>
    <message>
        <source>貼り付けた内容に読めない行があります。</source>
        <translation>Some pasted lines cannot be read.</translation>
    </message>
    <message>
        <source>ログインできませんでした。</source>
        <translation>Login failed.</translation>
    </message>
    <message>
        <source>処理できませんでした。</source>
        <translation>Could not be done.</translation>
    </message>
    <message>
        <source>ログインが一時的に制限されています。あと{n}秒お待ちください。</source>
        <translation>Login is temporarily restricted. Please wait {n} more seconds.</translation>
    </message>
    <message>
        <source>貼り付けた文章が長すぎます（マイナ資格確認アプリの画面1件分を貼り付けてください）</source>
        <translation>The pasted text is too long (paste one result screen of the My Number qualification app)</translation>
    </message>
    <message>
        <source>知らない項目名のため読み飛ばしました</source>
        <translation>not a label this app knows; skipped</translation>
    </message>
    <message>
        <source>同じ項目が2回あります。最初の値を使いました</source>
        <translation>label repeated; the first value was used</translation>
    </message>
    <message>
        <source>値を読み取れません</source>
        <translation>the value cannot be read</translation>
    </message>
    <message>
        <source>項目名の後に値がありません</source>
        <translation>the label has no value after it</translation>
    </message>
    <message>
        <source>必要な項目「{label}」がありません</source>
        <translation>the required label “{label}” is missing</translation>
    </message>
    <message>
        <source>個人番号らしき行のため破棄しました（個人番号は保存しません）</source>
        <translation>dropped: the line looks like an individual number (never kept)</translation>
    </message>
    <message>
        <source>全体：{why}</source>
        <translation>Whole text: {why}</translation>
    </message>
    <message>
        <source>{n}行目：{why}</source>
        <translation>Line {n}: {why}</translation>
    </message>
    <message>
        <source>{n}行目「{text}」：{why}</source>
        <translation>Line {n} “{text}”: {why}</translation>
    </message>
    <message>
        <source>あり</source>
        <translation>Yes</translation>
    </message>
    <message>
        <source>なし</source>
        <translation>None</translation>
    </message>
    <message>
        <source>資格あり（有効）</source>
        <translation>Eligible (valid)</translation>
    </message>
    <message>
        <source>資格情報なし（該当資格なし）</source>
        <translation>No eligibility record</translation>
    </message>
    <message>
        <source>資格無効</source>
        <translation>Not eligible</translation>
    </message>
    <message>
        <source>資格無効（新しい資格あり）</source>
        <translation>Not eligible (a newer qualification exists)</translation>
    </message>
    <message>
        <source>複数該当</source>
        <translation>Several matches</translation>
    </message>
    <message>
        <source>医療扶助：有効（未登録）</source>
        <translation>Medical assistance: valid (not registered)</translation>
    </message>
    <message>
        <source>医療扶助：当院あての医療券なし</source>
        <translation>Medical assistance: no ticket for this institution</translation>
    </message>
    <message>
        <source>資格喪失（有効期限切れ）</source>
        <translation>Qualification lost (expired)</translation>
    </message>
    <message>
        <source>電子証明書の期限切れ</source>
        <translation>E-certificate expired</translation>
    </message>
    <message>
        <source>資格確認端末のエラー</source>
        <translation>Verification terminal error</translation>
    </message>
    <message>
        <source>応答ファイルを読めません</source>
        <translation>The answer file cannot be read</translation>
    </message>
    <message>
        <source>応答なし</source>
        <translation>No answer</translation>
    </message>
    <message>
        <source>{name} さんは今日すでに受付があります（{times}）。二重受付かもしれません。重複なら、この受付を中止してください。</source>
        <translation>{name} already has a visit today ({times}). This may be a double check-in. If it is a duplicate, cancel this visit.</translation>
    </message>
    <message>
        <source>男</source>
        <translation>Male</translation>
    </message>
    <message>
        <source>女</source>
        <translation>Female</translation>
    </message>
    <message>
        <source>未設定</source>
        <translation>Not set</translation>
    </message>
    <message>
        <source>不明</source>
        <translation>Unknown</translation>
    </message>
    <message>
        <source>本人</source>
        <translation>Person</translation>
    </message>
    <message>
        <source>家族</source>
        <translation>Family member</translation>
    </message>
    <message>
        <source>氏名</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>カナ氏名</source>
        <translation>Kana</translation>
    </message>
    <message>
        <source>生年月日</source>
        <translation>Date of birth</translation>
    </message>
    <message>
        <source>保険者番号</source>
        <translation>Insurer no.</translation>
    </message>
    <message>
        <source>記号</source>
        <translation>Symbol</translation>
    </message>
    <message>
        <source>番号</source>
        <translation>Number</translation>
    </message>
    <message>
        <source>枝番</source>
        <translation>Branch</translation>
    </message>
    <message>
        <source>本人確認待ち</source>
        <translation>Identity decision</translation>
    </message>
    <message>
        <source>未確認</source>
        <translation>Not verified</translation>
    </message>
    <message>
        <source>すべて</source>
        <translation>All</translation>
    </message>
    <message>
        <source>対応中</source>
        <translation>In progress</translation>
    </message>
    <message>
        <source>確認済</source>
        <translation>Confirmed</translation>
    </message>
    <message>
        <source>要フォロー（仮・未確認）</source>
        <translation>Follow-up (provisional)</translation>
    </message>
    <message>
        <source>{n}割（資格確認端末の回答）</source>
        <translation>{n}0% (the terminal’s answer)</translation>
    </message>
    <message>
        <source>{n}割（高齢受給者の割合：端末の回答）</source>
        <translation>{n}0% (elderly recipient share: the terminal’s answer)</translation>
    </message>
    <message>
        <source>{n}割（未就学：年齢から判定）</source>
        <translation>{n}0% (preschool child: from the age)</translation>
    </message>
    <message>
        <source>{n}割（年齢から判定）</source>
        <translation>{n}0% (from the age)</translation>
    </message>
    <message>
        <source>2割（現役並み所得者は3割）：70〜74歳、端末の回答に割合なし。書類で確認</source>
        <translation>20% (30% with working-age income): aged 70–74, no share in the answer. Check the documents</translation>
    </message>
    <message>
        <source>1〜3割：後期高齢者、端末の回答に割合なし。書類で確認</source>
        <translation>10–30%: late-elderly insurance, no share in the answer. Check the documents</translation>
    </message>
    <message>
        <source>なし（医療扶助：医療券の本人支払額があればその額）</source>
        <translation>None (medical assistance: the amount on the ticket, if any)</translation>
    </message>
    <message>
        <source>不明（生年月日が分かりません）</source>
        <translation>Unknown (no date of birth)</translation>
    </message>
    <message>
        <source>電子証明書の有効期限</source>
        <translation>E-certificate expiry</translation>
    </message>
    <message>
        <source>読み取り</source>
        <translation>Read by</translation>
    </message>
    <message>
        <source>有効期限</source>
        <translation>Valid until</translation>
    </message>
    <message>
        <source>公費負担者番号</source>
        <translation>Public payer number</translation>
    </message>
    <message>
        <source>受給者番号</source>
        <translation>Recipient number</translation>
    </message>
    <message>
        <source>PDFの取得日時</source>
        <translation>PDF obtained at</translation>
    </message>
    <message>
        <source>マイナポータルのPDFと確認</source>
        <translation>Confirmed as a Mynaportal PDF</translation>
    </message>
    <message>
        <source>PDFのハッシュ</source>
        <translation>PDF hash</translation>
    </message>
    <message>
        <source>注意</source>
        <translation>Caution</translation>
    </message>
    <message>
        <source>印刷を中止しました：{detail}。管理者に連絡してください。</source>
        <translation>Printing stopped: {detail}. Contact an administrator.</translation>
    </message>
    <message>
        <source>表 {table}、番号 {id}、項目 {field}</source>
        <translation>table {table}, id {id}, field {field}</translation>
    </message>
    <message>
        <source>表 {table}、番号 {id}</source>
        <translation>table {table}, id {id}</translation>
    </message>
    <message>
        <source>、ほか{n}件</source>
        <translation> and {n} more</translation>
    </message>
    <message>
        <source>このPCが記録した内容より古いか、別のデータベースです</source>
        <translation>older than what this PC recorded, or another database</translation>
    </message>
    <message>
        <source>監査記録 通番 {seq}</source>
        <translation>audit record no. {seq}</translation>
    </message>
    <message>
        <source>監査記録と一致しない記録があります（改ざんの可能性：{where}）</source>
        <translation>some records do not match the audit record (possible tampering: {where})</translation>
    </message>
</context>
<context>
    <name>TomorrowBookings</name>
    <message>
        <source>明日の予約（一括照会）</source>
        <extracomment>Row colours by flag (the words in the 結果 column say the same). Demo mode&apos;s bookings list: the demo cards&apos; patients (D-00NN), on the day chosen. A step of the running check (emitted on the worker thread, received on the GUI thread).</extracomment>
        <translation>Tomorrow&apos;s bookings (bulk check)</translation>
    </message>
    <message>
        <source>明日の予約の資格を前日に確認します</source>
        <translation>Check the eligibility of tomorrow&apos;s bookings the day before</translation>
    </message>
    <message>
        <source>予約システムから書き出したCSVファイル</source>
        <translation>CSV file exported from the booking system</translation>
    </message>
    <message>
        <source>予約一覧(&amp;F)</source>
        <translation>Bookings &amp;file</translation>
    </message>
    <message>
        <source>選択(&amp;O)…</source>
        <translation>&amp;Open…</translation>
    </message>
    <message>
        <source>予約日(&amp;D)</source>
        <translation>Booking &amp;day</translation>
    </message>
    <message>
        <source>照会開始(&amp;S)</source>
        <translation>&amp;Start check</translation>
    </message>
    <message>
        <source>結果を受け取る(&amp;R)</source>
        <translation>&amp;Receive result</translation>
    </message>
    <message>
        <source>中止(&amp;T)</source>
        <translation>S&amp;top</translation>
    </message>
    <message>
        <source>印刷用PDF(&amp;P)</source>
        <translation>&amp;PDF for printing</translation>
    </message>
    <message>
        <source>CSVの列：予約日（なければ選んだ日）・予約時刻・カルテ番号。保険証の番号はカルテの登録から照会します。</source>
        <translation>CSV columns: booking date (else the day chosen), time, chart number. The insurance numbers asked with are those on file.</translation>
    </message>
    <message>
        <source>【模擬】模擬の端末の結果です（実際の資格ではありません）</source>
        <translation>[SIMULATED] Results of the simulated terminal (not real eligibility)</translation>
    </message>
    <message>
        <source>時刻</source>
        <translation>Time</translation>
    </message>
    <message>
        <source>カルテ番号</source>
        <translation>Chart no.</translation>
    </message>
    <message>
        <source>氏名</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>結果</source>
        <translation>Result</translation>
    </message>
    <message>
        <source>備考</source>
        <translation>Notes</translation>
    </message>
    <message>
        <source>閉じる</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>この受付PCには資格確認端末が設定されていないため、一括照会できません。端末のフォルダを設定した受付PCで行ってください。</source>
        <translation>No verification terminal is set up on this reception PC, so the bulk check cannot run here. Please run it on a PC with the terminal folder set up.</translation>
    </message>
    <message>
        <source>予約一覧を選択</source>
        <translation>Choose the bookings list</translation>
    </message>
    <message>
        <source>CSV (*.csv);;すべて (*)</source>
        <translation>CSV (*.csv);;All files (*)</translation>
    </message>
    <message>
        <source>予約一覧のCSVファイルを選んでください。</source>
        <translation>Choose the CSV file of the bookings.</translation>
    </message>
    <message>
        <source>予約一覧を読み込んでいます…</source>
        <translation>Reading the bookings list…</translation>
    </message>
    <message>
        <source>中止しています…</source>
        <translation>Stopping…</translation>
    </message>
    <message>
        <source>資格確認端末に一括照会を依頼しました。受付を待っています…</source>
        <translation>Bulk check sent to the verification terminal. Waiting for it to accept…</translation>
    </message>
    <message>
        <source>端末が受け付けました（受付番号 {n}）。結果を待っています…</source>
        <translation>The terminal accepted the check (reception number {n}). Waiting for the result…</translation>
    </message>
    <message>
        <source>端末が処理中です（受付番号 {n}、処理中の回答 {k}回）…</source>
        <translation>The terminal is processing (reception number {n}, {k} “processing” answers)…</translation>
    </message>
    <message>
        <source>&#x3000;経過 {s}秒</source>
        <translation> — {s} s elapsed</translation>
    </message>
    <message>
        <source>この日の一括照会で、受け取っていない結果はありません。</source>
        <translation>No bulk check of this day has a result waiting to be received.</translation>
    </message>
    <message>
        <source>照会が終わり、監査ログに記録しました（通番 {seq}）。</source>
        <translation>Check finished and recorded in the audit log (seq {seq}).</translation>
    </message>
    <message>
        <source>一括照会を中止しました。何も記録していません。</source>
        <translation>Bulk check stopped. Nothing was recorded.</translation>
    </message>
    <message>
        <source>一括照会できませんでした：{e}</source>
        <translation>The bulk check failed: {e}</translation>
    </message>
    <message>
        <source>処理中の一括照会を確かめられません：{e}</source>
        <translation>Cannot check for a bulk check still processing: {e}</translation>
    </message>
    <message>
        <source>端末がまだ処理中です（受付番号 {n}）。しばらくしてから「結果を受け取る」を押してください。</source>
        <translation>The terminal is still processing (reception number {n}). Press “Receive result” after a while.</translation>
    </message>
    <message>
        <source>{name} を開けません。ファイルの場所と名前を確かめてください。</source>
        <translation>{name} cannot be opened. Please check the file’s location and name.</translation>
    </message>
    <message>
        <source>{name} は予約一覧としては大きすぎます（4MBまで）。</source>
        <translation>{name} is too large for a bookings list (4 MB at most).</translation>
    </message>
    <message>
        <source>{name} の文字コードを読めません。UTF-8 か Shift_JIS のCSVで保存してください。</source>
        <translation>The encoding of {name} cannot be read. Please save it as UTF-8 or Shift_JIS CSV.</translation>
    </message>
    <message>
        <source>{name} は空です。</source>
        <translation>{name} is empty.</translation>
    </message>
    <message>
        <source>{name} には {day} の予約がありません。日付を確かめてください。</source>
        <translation>{name} has no bookings on {day}. Please check the date.</translation>
    </message>
    <message>
        <source>{name} の1行目にカルテ番号の列（カルテ番号・患者番号・患者ID）がありません。</source>
        <translation>The first line of {name} has no chart number column (カルテ番号, 患者番号 or 患者ID).</translation>
    </message>
    <message>
        <source>{name} の1行目に予約日の列（予約日・日付・診療日）がありません。</source>
        <translation>The first line of {name} has no booking date column (予約日, 日付 or 診療日).</translation>
    </message>
    <message>
        <source>{day}&#x3000;{n}件（要確認 {a}件）：</source>
        <translation>{day}: {n} bookings ({a} to check): </translation>
    </message>
    <message>
        <source>、</source>
        <translation>, </translation>
    </message>
    <message>
        <source>取り込めなかった行が {n} 行あります（{lines}行目）。</source>
        <translation>Rows not imported: {n} (line {lines}).</translation>
    </message>
    <message>
        <source>資格喪失</source>
        <translation>Coverage ended</translation>
    </message>
    <message>
        <source>該当なし</source>
        <translation>Not found</translation>
    </message>
    <message>
        <source>変更あり</source>
        <translation>Changed</translation>
    </message>
    <message>
        <source>未照会</source>
        <translation>Not checked</translation>
    </message>
    <message>
        <source>確認済み</source>
        <translation>Verified</translation>
    </message>
    <message>
        <source>保険者</source>
        <translation>Insurer</translation>
    </message>
    <message>
        <source>負担割合</source>
        <translation>Co-payment</translation>
    </message>
    <message>
        <source>限度額</source>
        <translation>Limit</translation>
    </message>
    <message>
        <source>・</source>
        <translation>, </translation>
    </message>
    <message>
        <source>{flag}（{changes}）</source>
        <translation>{flag} ({changes})</translation>
    </message>
    <message>
        <source>印刷用PDFを作成しています…</source>
        <translation>Making the PDF for printing…</translation>
    </message>
    <message>
        <source>印刷用PDFを保存しました：{p}</source>
        <translation>PDF for printing saved: {p}</translation>
    </message>
    <message>
        <source>印刷用PDF</source>
        <translation>PDF for printing</translation>
    </message>
    <message>
        <source>印刷用PDFを保存しました。
{p}

開きますか？</source>
        <translation>PDF for printing saved.
{p}

Open it?</translation>
    </message>
    <message>
        <source>開く(&amp;O)</source>
        <translation>&amp;Open</translation>
    </message>
    <message>
        <source>印刷用PDFを作成できません：{e}</source>
        <translation>The PDF for printing cannot be made: {e}</translation>
    </message>
</context>
<context>
    <name>VisitListPanel</name>
    <message>
        <source>本日の受付(&amp;L)</source>
        <translation>Today&apos;s &amp;list</translation>
    </message>
    <message>
        <source>絞り込み：カルテ番号・氏名・カナ（Ctrl+F）</source>
        <translation>Filter: chart no., name, kana (Ctrl+F)</translation>
    </message>
</context>
<context>
    <name>VisitTableModel</name>
    <message>
        <source>受付時刻</source>
        <translation>Time</translation>
    </message>
    <message>
        <source>カルテ</source>
        <translation>Chart</translation>
    </message>
    <message>
        <source>患者</source>
        <translation>Patient</translation>
    </message>
    <message>
        <source>確認方法</source>
        <translation>Path</translation>
    </message>
    <message>
        <source>状態</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>模擬</source>
        <translation>SIM</translation>
    </message>
</context>
<context>
    <name>VisualCheck</name>
    <message>
        <source>目視確認</source>
        <translation>Visual check</translation>
    </message>
    <message>
        <source>カードの顔写真と、目の前の患者さんを見比べてください。マスク等は外してもらってください。</source>
        <translation>Compare the card&apos;s photo with the patient in front of you. Ask them to take off a mask.</translation>
    </message>
    <message>
        <source>本人と一致した(&amp;Y)</source>
        <translation>&amp;Yes, same person</translation>
    </message>
    <message>
        <source>一致しない(&amp;N)</source>
        <translation>&amp;No match</translation>
    </message>
</context>
<context>
    <name>model</name>
    <message>
        <source>模擬</source>
        <extracomment>Room around a cell&apos;s text (the style&apos;s margins and the focus frame).</extracomment>
        <translation>Simulated</translation>
    </message>
</context>
</TS>
