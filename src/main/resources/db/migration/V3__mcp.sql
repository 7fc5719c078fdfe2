-- MCP server (issue #4): tool groups and their tools (SPEC §6), the admin audit log, and the clinic data the tools
-- read: a service catalogue, FAQ, appointment slots and bookings, medical records, treatment plans, demo customers.

-- Groups: tier and roles from the PRD (§3.2.2), and whether a context token is mandatory for every call.
ALTER TABLE mcp_tool_groups
  ADD COLUMN user_tier text NOT NULL DEFAULT 'internal' CHECK (user_tier IN ('internal', 'external')),
  ADD COLUMN allowed_roles text[] NOT NULL DEFAULT '{}',
  ADD COLUMN requires_context_token boolean NOT NULL DEFAULT false,
  ADD COLUMN key_rotated_at timestamptz;

-- One tool name may be held by several groups (get_user_profile in consultation_tools and welcome_tools), each row
-- with its own enabled flag, timeout and config; within one group a name appears once.
ALTER TABLE mcp_tools DROP CONSTRAINT mcp_tools_tool_name_key;
ALTER TABLE mcp_tools ADD CONSTRAINT mcp_tools_group_tool_uq UNIQUE (group_id, tool_name);
CREATE INDEX mcp_tools_name_idx ON mcp_tools (tool_name);

-- Who changed what in the MCP configuration, and who looked at or rotated a key. Rows outlive the group.
CREATE TABLE mcp_audit_log (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  actor_id   uuid REFERENCES users (id) ON DELETE SET NULL,
  action     text NOT NULL CHECK (action IN ('group_created', 'group_updated', 'group_deleted', 'key_viewed',
                                              'key_rotated', 'tool_updated')),
  group_id   uuid,
  tool_id    uuid,
  details    jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mcp_audit_log_time_idx ON mcp_audit_log (created_at DESC);
CREATE INDEX mcp_call_logs_time_idx ON mcp_call_logs (created_at);

-- The seeded groups have no key yet: the MCP server generates the missing keys at start (encrypted, idempotent).
INSERT INTO mcp_tool_groups (name, description, user_tier, allowed_roles, requires_context_token) VALUES
  ('system_tools', '系统管理工具：用户管理、系统配置、配置备份与恢复、项目指标', 'internal', '{admin}', false),
  ('medical_tools', '医疗分析工具：患者分析、病历查询、诊断辅助（仅供参考，不构成诊断）', 'internal', '{admin,doctor}', false),
  ('consultation_tools', '咨询服务工具：客户画像、客户分析、咨询历史、会话数据、方案生成', 'internal',
   '{admin,consultant,doctor}', false),
  ('project_tools', '项目服务工具：项目咨询、项目信息、预约', 'external', '{customer}', false),
  ('welcome_tools', '欢迎消息智能体专用：读取新客户资料与项目信息；每次调用必须携带上下文令牌', 'internal',
   '{}', true);

INSERT INTO mcp_tools (group_id, tool_name, description, timeout_seconds)
SELECT g.id, t.tool_name, t.description, t.timeout_seconds
FROM (VALUES
  ('system_tools', 'user_management', 'List, read and activate/deactivate user accounts', 10),
  ('system_tools', 'system_config', 'Read and change system settings (no secrets)', 10),
  ('system_tools', 'backup_restore', 'Export or import the configuration as JSON (secrets excluded)', 30),
  ('system_tools', 'project_metrics', 'Registration, automation, MCP and appointment figures', 15),
  ('medical_tools', 'patient_analysis', 'Summary and risk flags of a patient from their records', 10),
  ('medical_tools', 'medical_records', 'A patient''s medical records', 10),
  ('medical_tools', 'diagnosis_assist', 'Services matching a concern, checked against contraindications; not a diagnosis', 10),
  ('consultation_tools', 'get_user_profile', 'A customer''s profile for personalised answers', 5),
  ('consultation_tools', 'customer_analysis', 'Rule-based customer analysis: basic, detailed or predictive', 10),
  ('consultation_tools', 'consultation_history', 'A customer''s conversations', 10),
  ('consultation_tools', 'get_conversation_data', 'The messages of one conversation', 10),
  ('consultation_tools', 'plan_generation', 'A draft treatment plan from the catalogue, saved for the consultant', 15),
  ('project_tools', 'basic_inquiry', 'Answers from the FAQ and the service catalogue', 5),
  ('project_tools', 'service_info', 'Service catalogue entries: price range, duration, contraindications', 5),
  ('project_tools', 'appointment_booking', 'Free slots, booking and cancelling appointments', 10),
  ('welcome_tools', 'get_user_profile', 'The new customer''s profile (only the customer of the context token)', 5),
  ('welcome_tools', 'service_info', 'Service catalogue entries matching the customer''s interests', 5)
) AS t (group_name, tool_name, description, timeout_seconds)
JOIN mcp_tool_groups g ON g.name = t.group_name;

-- The clinic's service catalogue. Prices in CNY (yuan); contraindications are condition codes that medical
-- records carry in their conditions column, so tools can check a patient against a service.
CREATE TABLE service_catalogue (
  id                     text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9_]{1,63}$'),
  name                   text NOT NULL,
  name_en                text NOT NULL,
  category               text NOT NULL CHECK (category IN ('skin_care', 'laser', 'injection', 'anti_aging', 'surgery')),
  description            text NOT NULL,
  price_min              integer NOT NULL CHECK (price_min >= 0),
  price_max              integer NOT NULL,
  duration_minutes       integer NOT NULL CHECK (duration_minutes > 0),
  sessions               text NOT NULL,
  recovery               text NOT NULL,
  keywords               text[] NOT NULL DEFAULT '{}',
  contraindications      text[] NOT NULL DEFAULT '{}',
  contraindication_notes text NOT NULL,
  active                 boolean NOT NULL DEFAULT true,
  CHECK (price_max >= price_min)
);

INSERT INTO service_catalogue (id, name, name_en, category, description, price_min, price_max, duration_minutes,
                               sessions, recovery, keywords, contraindications, contraindication_notes) VALUES
  ('hydra_facial', '小气泡深层清洁', 'HydraFacial deep cleansing', 'skin_care',
   '负压小气泡清洁毛孔、去角质并同步导入补水精华，适合毛孔粗大、黑头和肤色暗沉。', 380, 680, 45,
   '每 2–4 周 1 次', '无恢复期，当天可化妆',
   '{补水,清洁,毛孔,黑头,保湿,护肤}', '{active_skin_infection}', '面部有破损、感染或急性湿疹时暂缓。'),
  ('water_light_injection', '水光针', 'Hyaluronic acid skin booster', 'injection',
   '将小分子玻尿酸等营养成分均匀注入真皮浅层，改善干燥、细纹和光泽度。', 1280, 2980, 40,
   '3 次为一疗程，间隔 4 周', '针眼 1–2 天消退，3 天内避免化妆',
   '{补水,水光,保湿,细纹,光泽,嫩肤}',
   '{pregnancy,breastfeeding,active_skin_infection,anticoagulants,hyaluronic_acid_allergy}',
   '孕期哺乳期、面部感染、服用抗凝药或对透明质酸过敏者不宜。'),
  ('ipl_photorejuvenation', '光子嫩肤', 'IPL photorejuvenation', 'laser',
   '强脉冲光改善色斑、红血丝、毛孔与肤色不均，是入门级的综合嫩肤项目。', 980, 1980, 30,
   '3–5 次为一疗程，间隔 3–4 周', '轻微泛红数小时，需严格防晒',
   '{光子嫩肤,嫩肤,色斑,红血丝,美白,提亮,肤色}',
   '{pregnancy,photosensitivity,isotretinoin_6m,recent_tan,active_skin_infection}',
   '光敏体质、近 6 个月服用异维 A 酸、近期暴晒或孕期不宜。'),
  ('picosecond_laser', '皮秒激光祛斑', 'Picosecond laser pigment removal', 'laser',
   '皮秒级脉冲击碎色素颗粒，用于雀斑、晒斑、部分黄褐斑和色素沉着。', 1980, 4800, 30,
   '1–3 次，间隔 1–2 个月', '结痂 5–7 天，术后 3 个月严格防晒',
   '{祛斑,色斑,雀斑,黄褐斑,美白,皮秒}',
   '{pregnancy,photosensitivity,isotretinoin_6m,keloid_tendency,recent_tan}',
   '瘢痕体质、光敏、近 6 个月服用异维 A 酸、孕期不宜。'),
  ('co2_fractional', '点阵激光', 'Fractional CO2 laser resurfacing', 'laser',
   '点阵剥脱激光刺激胶原重建，改善痘坑、痘印和粗大毛孔。', 2800, 6800, 45,
   '3–5 次，间隔 2–3 个月', '红肿结痂 7–10 天',
   '{痘坑,痘印,疤痕,毛孔,点阵,祛痘}',
   '{pregnancy,isotretinoin_6m,keloid_tendency,active_skin_infection,diabetes_uncontrolled}',
   '瘢痕体质、近 6 个月服用异维 A 酸、血糖控制不佳、孕期不宜。'),
  ('botox_wrinkles', '肉毒素除皱', 'Botulinum toxin wrinkle treatment', 'injection',
   '放松表情肌，改善抬头纹、川字纹和鱼尾纹，效果维持 4–6 个月。', 1800, 4800, 20,
   '每 4–6 个月 1 次', '无明显恢复期，4 小时内勿平躺',
   '{除皱,抗衰,抬头纹,川字纹,鱼尾纹,肉毒素}',
   '{pregnancy,breastfeeding,neuromuscular_disease,under_18}',
   '孕期哺乳期、重症肌无力等神经肌肉疾病、未满 18 岁不宜。'),
  ('masseter_botox', '瘦脸针', 'Masseter botulinum toxin (face slimming)', 'injection',
   '注射咬肌使其萎缩，改善方脸轮廓，约 1 个月见效。', 2800, 5800, 20,
   '每 6 个月 1 次', '无明显恢复期',
   '{瘦脸,脸型,咬肌,小V脸,轮廓}',
   '{pregnancy,breastfeeding,neuromuscular_disease,under_18}',
   '孕期哺乳期、神经肌肉疾病、未满 18 岁不宜。'),
  ('ha_filler', '玻尿酸填充', 'Hyaluronic acid filler', 'injection',
   '填充苹果肌、泪沟、法令纹或塑形鼻下巴，效果维持 6–12 个月。', 3800, 12800, 45,
   '按需，6–12 个月补打', '轻微肿胀 2–3 天',
   '{填充,苹果肌,泪沟,法令纹,隆鼻,下巴,抗衰}',
   '{pregnancy,breastfeeding,hyaluronic_acid_allergy,active_skin_infection,autoimmune_disease,anticoagulants}',
   '对透明质酸过敏、自身免疫病、面部感染、服用抗凝药或孕期哺乳期不宜。'),
  ('thermage_flx', '热玛吉', 'Thermage FLX radiofrequency tightening', 'anti_aging',
   '单极射频加热真皮层，收紧松弛、改善轮廓，一次效果维持约 1 年。', 12800, 29800, 90,
   '每年 1 次', '无恢复期，可能短暂泛红',
   '{抗衰,紧致,提拉,松弛,热玛吉,轮廓}',
   '{pacemaker,metal_implants_face,pregnancy}',
   '装有心脏起搏器、面部有金属植入物、孕期不宜。'),
  ('ultherapy', '超声刀', 'Ultherapy microfocused ultrasound lifting', 'anti_aging',
   '聚焦超声作用于筋膜层，提升下颌线与面部轮廓。', 9800, 19800, 60,
   '每 12–18 个月 1 次', '轻微酸胀 1–2 周',
   '{抗衰,提拉,紧致,下颌线,超声刀}',
   '{pregnancy,metal_implants_face,active_skin_infection}',
   '孕期、面部金属植入物、治疗区感染不宜。'),
  ('chemical_peel', '果酸焕肤', 'Chemical peel', 'skin_care',
   '果酸促进角质更新，改善痘痘、闭口、粗糙和暗沉。', 480, 980, 30,
   '4–6 次，间隔 2–4 周', '轻微脱屑 3–5 天，需防晒',
   '{祛痘,闭口,焕肤,美白,提亮,清洁}',
   '{pregnancy,isotretinoin_6m,photosensitivity,active_skin_infection}',
   '近 6 个月服用异维 A 酸、光敏、孕期或皮肤破损时不宜。'),
  ('laser_hair_removal', '激光脱毛', 'Laser hair removal', 'laser',
   '半导体激光破坏毛囊，腋下、唇周、四肢均可，按部位计价。', 680, 2680, 30,
   '6–8 次，间隔 4–6 周', '无恢复期，需防晒',
   '{脱毛,腋毛,唇毛,腿毛}',
   '{pregnancy,photosensitivity,recent_tan}',
   '光敏体质、近期暴晒、孕期不宜。'),
  ('double_eyelid', '双眼皮手术', 'Double eyelid surgery (blepharoplasty)', 'surgery',
   '切开或埋线法重睑，术前面诊设计，需局部麻醉。', 6800, 16800, 90,
   '一次', '拆线 5–7 天，消肿 1–3 个月',
   '{双眼皮,眼睛,眼部,重睑}',
   '{pregnancy,anticoagulants,diabetes_uncontrolled,under_18,keloid_tendency,lidocaine_allergy}',
   '服用抗凝药、血糖控制不佳、瘢痕体质、利多卡因过敏、未满 18 岁或孕期不宜。');

CREATE INDEX service_catalogue_keywords_idx ON service_catalogue USING gin (keywords);

CREATE TABLE faq (
  id       integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  category text NOT NULL,
  question text NOT NULL,
  answer   text NOT NULL,
  keywords text[] NOT NULL DEFAULT '{}'
);

INSERT INTO faq (category, question, answer, keywords) VALUES
  ('visit', '营业时间是什么时候？', '每天 10:00–20:00 营业（春节另行通知），线上咨询 24 小时有 AI 助手值守。',
   '{营业时间,几点,开门,上班,时间}'),
  ('visit', '第一次到店需要准备什么？', '请携带身份证，提前 10 分钟到店填写健康问卷；面部项目请素颜或到店卸妆。',
   '{第一次,首次,准备,到店,面诊}'),
  ('payment', '可以分期付款吗？', '支持信用卡分期和花呗分期，3/6/12 期，具体以收银台为准。',
   '{分期,付款,支付,花呗,信用卡,价格}'),
  ('payment', '疗程卡可以退款吗？', '未使用的疗程可按合同约定退还剩余部分，已使用次数按单次原价扣除。',
   '{退款,退费,疗程卡,退}'),
  ('booking', '如何预约和取消？', '可在线预约空闲时段；如需取消请至少提前 24 小时，临时取消可能影响优先预约。',
   '{预约,取消,改期,时段,挂号}'),
  ('safety', '医生有资质吗？', '所有注射和激光项目均由持有执业医师证的医生操作，药品和设备均为国家药监局批准产品。',
   '{资质,医生,安全,正规,药监局}'),
  ('safety', '打针会疼吗？需要麻醉吗？', '注射类项目一般先敷表面麻醉膏 30–40 分钟，多数顾客感觉轻微刺痛；手术项目采用局部麻醉。',
   '{疼,痛,麻醉,打针}'),
  ('aftercare', '做完光电项目要注意什么？', '一周内避免高温桑拿和剧烈运动，加强保湿，严格防晒（SPF30+），结痂不要抠。',
   '{术后,护理,防晒,注意事项,恢复}'),
  ('aftercare', '孕期或哺乳期可以做医美吗？', '孕期和哺乳期不建议做注射、激光和手术类项目，可以做基础清洁护理。',
   '{孕期,怀孕,哺乳,备孕}'),
  ('visit', '有停车位吗？', '大楼地下停车场可停车，消费满 500 元可免 2 小时停车费。', '{停车,车位,交通}');

-- Slots are made per day on demand (standard opening hours, one row per room and hour); an appointment takes one.
CREATE TABLE appointment_slots (
  id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  starts_at timestamptz NOT NULL,
  room      text NOT NULL,
  UNIQUE (starts_at, room)
);

CREATE TABLE appointments (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slot_id      uuid NOT NULL REFERENCES appointment_slots (id),
  customer_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  service_id   text NOT NULL REFERENCES service_catalogue (id),
  status       text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled', 'done')),
  note         text CHECK (char_length(note) <= 500),
  created_at   timestamptz NOT NULL DEFAULT now(),
  cancelled_at timestamptz
);
-- no double booking, whatever the concurrency: a slot has at most one live appointment
CREATE UNIQUE INDEX appointments_slot_booked_uq ON appointments (slot_id) WHERE status = 'booked';
CREATE INDEX appointments_customer_idx ON appointments (customer_id, created_at DESC);

CREATE TABLE medical_records (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  record_type text NOT NULL CHECK (record_type IN ('consultation', 'treatment', 'allergy', 'condition', 'medication')),
  title       text NOT NULL,
  notes       text,
  -- condition codes, the same vocabulary as service_catalogue.contraindications
  conditions  text[] NOT NULL DEFAULT '{}',
  doctor_name text,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX medical_records_patient_idx ON medical_records (patient_id, recorded_at DESC);

CREATE TABLE treatment_plans (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title       text NOT NULL,
  goals       text[] NOT NULL DEFAULT '{}',
  items       jsonb NOT NULL,
  excluded    jsonb NOT NULL DEFAULT '[]'::jsonb,
  price_min   integer NOT NULL,
  price_max   integer NOT NULL,
  status      text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'proposed', 'accepted', 'rejected')),
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX treatment_plans_customer_idx ON treatment_plans (customer_id, created_at DESC);

-- Demo customers with sample records, so the medical and consultation tools have something real to read. Their
-- password hash is of a random value nobody knows: they cannot log in.
INSERT INTO users (id, username, email, password_hash, role, full_name, phone, gender, birth_date, interests, source,
                   created_at) VALUES
  ('00000000-0000-4000-8000-00000000d001', 'demo_linxiaoyu', 'demo.lin@example.com',
   '$argon2id$v=19$m=19456,t=2,p=1$K3P1/E23n+DmiROvDapzxA$HyN8h5HwUG4PtSzVjsg29TbuglmbspNa+xix+bojd9Q', 'customer',
   '林小雨', '13800000001', 'female', '1995-03-08', '{补水,光子嫩肤}', 'demo', now() - interval '40 days'),
  ('00000000-0000-4000-8000-00000000d002', 'demo_chenjing', 'demo.chen@example.com',
   '$argon2id$v=19$m=19456,t=2,p=1$K3P1/E23n+DmiROvDapzxA$HyN8h5HwUG4PtSzVjsg29TbuglmbspNa+xix+bojd9Q', 'customer',
   '陈静', '13800000002', 'female', '1988-11-21', '{抗衰,除皱}', 'demo', now() - interval '200 days'),
  ('00000000-0000-4000-8000-00000000d003', 'demo_zhaolei', 'demo.zhao@example.com',
   '$argon2id$v=19$m=19456,t=2,p=1$K3P1/E23n+DmiROvDapzxA$HyN8h5HwUG4PtSzVjsg29TbuglmbspNa+xix+bojd9Q', 'customer',
   '赵磊', '13800000003', 'male', '1999-07-02', '{祛痘,痘坑}', 'demo', now() - interval '5 days');

INSERT INTO medical_records (patient_id, record_type, title, notes, conditions, doctor_name, recorded_at) VALUES
  ('00000000-0000-4000-8000-00000000d001', 'consultation', '初诊面诊',
   '混合性皮肤，两颊轻度色沉，T 区毛孔粗大，皮肤屏障尚可。', '{}', '王医生', now() - interval '39 days'),
  ('00000000-0000-4000-8000-00000000d001', 'treatment', '光子嫩肤第 1 次',
   'M22 OPT，能量 14J，术后轻微泛红 2 小时，无不良反应。', '{}', '王医生', now() - interval '30 days'),
  ('00000000-0000-4000-8000-00000000d001', 'allergy', '利多卡因过敏史', '自述牙科局麻后皮疹。',
   '{lidocaine_allergy}', '王医生', now() - interval '39 days'),
  ('00000000-0000-4000-8000-00000000d002', 'condition', '正在服用抗凝药', '房颤术后口服华法林，需心内科评估。',
   '{anticoagulants}', '李医生', now() - interval '180 days'),
  ('00000000-0000-4000-8000-00000000d002', 'treatment', '肉毒素除皱（抬头纹）', '注射 20U，两周复查效果良好。',
   '{}', '李医生', now() - interval '150 days'),
  ('00000000-0000-4000-8000-00000000d003', 'medication', '口服异维 A 酸', '痤疮治疗中，预计 2 个月后停药。',
   '{isotretinoin_6m}', '王医生', now() - interval '4 days'),
  ('00000000-0000-4000-8000-00000000d003', 'condition', '瘢痕体质', '既往外伤后增生性瘢痕。',
   '{keloid_tendency}', '王医生', now() - interval '4 days');
