"""简体中文 (Simplified Chinese): every key of en.py, translated. Model, data set and setting names
(`wgan-gp`, `mnist`, `lr`), formulas and paper titles stay as they are."""

from gan_playground.ui.i18n.en import REFERENCES

ABOUT = r"""
## 这里有什么

每个标签页都会在你的机器上实时训练一类生成对抗网络：**训练**负责设置，**实时**在学习过程中展示损失曲线和由固定噪声向量
生成的样本，**探索**让你试玩正在训练的模型或某个检查点。记号：$x$ 为真实样本，$z \sim p(z)$ 为噪声或编码，$G$ 为生成器，
$D$ 为判别器或评论家（critic），$c$ 或 $y$ 为类别。

### ACGAN：辅助分类器 GAN
$G(z, c)$ 生成一张类别为 $c$ 的图像。$D$ 有两个输出头：来源 $P(S \mid x)$（真或假）和类别 $P(C \mid x)$。记
$$L_S = \mathbb{E}[\log P(S=\text{real} \mid x)] + \mathbb{E}[\log P(S=\text{fake} \mid G(z,c))]$$
$$L_C = \mathbb{E}[\log P(C=c \mid x)] + \mathbb{E}[\log P(C=c \mid G(z,c))]$$
$D$ 最大化 $L_S + L_C$，$G$ 最大化 $L_C - L_S$（这里使用常见的非饱和形式
$\max \log P(S=\text{real} \mid G(z,c))$）。图中绘出：`loss_d`、`loss_g`、`loss_aux`（真实图像上的类别损失）
以及类别准确率 `acc_real`、`acc_fake`。

### 对抗自编码器（AAE）
编码器 $q(z \mid x)$ 和解码器 $p(x \mid z)$ 以重建为目标进行训练，同时编码空间中的一个 GAN 使聚合后验
$q(z) = \mathbb{E}_x[q(z \mid x)]$ 与先验 $p(z)$ 相匹配：
$$\min_{q,\,p}\ \mathbb{E}\,\lVert x - \mathrm{dec}(\mathrm{enc}(x)) \rVert^2 \qquad
\min_{q}\max_{D}\ \mathbb{E}_{z \sim p(z)}[\log D(z)] + \mathbb{E}_{x}[\log(1 - D(\mathrm{enc}(x)))]$$
- **重建**（`aae`）：编码被约束为高斯分布、10 个高斯的混合或瑞士卷；从先验中任取一点解码即可生成。
- **有监督**（`aae-supervised`）：独热标签输入解码器，因此 $z$ 只学习风格。
- **半监督**（`aae-semisupervised`）：编码器输出类别 $y \sim \mathrm{Cat}(K)$（由第二个判别器约束为类别先验）和风格 $z$；
  在少量有标签样本上的交叉熵阶段 $-\log q(y_n \mid x_n)$ 把类别与标签对应起来。评分：测试错误率。
- **聚类**（`aae-cluster`）：同上，但有 $K$ 个簇且不用任何标签。评分：每个簇取其多数标签时的准确率。采样时，每个簇被抽到的频率等于它在训练图像中所占的比例。

### WGAN 及其 Lipschitz 约束
评论家估计 Wasserstein-1 距离
$$W(P_r, P_g) = \sup_{\lVert D \rVert_L \le 1} \mathbb{E}_{x \sim P_r}[D(x)] - \mathbb{E}_{z}[D(G(z))]$$
评论家最小化 $L_D = \mathbb{E}[D(G(z))] - \mathbb{E}[D(x)] + \text{penalty}$，每个生成器步更新 $n_\text{critic}$ 次；
生成器最小化 $L_G = -\mathbb{E}[D(G(z))]$。图中的 `wasserstein` 即
$\mathbb{E}[D(x)] - \mathbb{E}[D(G(z))]$。如何保持 $\lVert D \rVert_L \le 1$：

| 变体 | 加到 $L_D$ 上的惩罚项 |
|---|---|
| 权重裁剪（`wgan`） | 无；每次更新后把每个权重裁剪到 $[-c, c]$（RMSprop） |
| 梯度惩罚（`wgan-gp`） | $\lambda\,\mathbb{E}_{\hat x}\big[(\lVert \nabla D(\hat x) \rVert_2 - 1)^2\big]$，$\hat x = \epsilon x + (1-\epsilon) G(z)$ |
| 散度（`wgan-div`） | 在真实点和生成点上的 $k\,\mathbb{E}\big[\lVert \nabla D(x) \rVert_2^{\,p}\big]$（$k=2$，$p=6$） |
| Lipschitz 惩罚（`wgan-lp`） | $\lambda\,\mathbb{E}_{\hat x}\big[\max(0, \lVert \nabla D(\hat x) \rVert_2 - 1)^2\big]$（单边） |

### 二维实验室
在 Gulrajani 等人 `gan_toy.py` 的玩具数据集（8 个高斯、25 个高斯、瑞士卷）上运行各个 WGAN 变体，使用二维潜在空间和小型
MLP。热力图显示平面上的 $D(x)$：生成器的点沿着它向上爬。

### 提示
- 训练发散了（某个损失变成 NaN，或远远超出开始时的量级）？从保存的检查点恢复训练，并调低学习率倍数。
- 实时样本网格整个训练过程都使用同一个 $z$，因此你看到的是同一组样本随模型学习而变化。
- 本服务器上的训练是共享的：同时只能训练少数几个，页面关闭几分钟后训练就会停止。想保留它，请保存检查点。

## 论文
""" + REFERENCES

TEXT: dict[str, str] = {
    # -- the page ----------------------------------------------------------------------------------
    "app.intro": ("# GAN Playground 生成对抗网络演练场\n实时训练 ACGAN、对抗自编码器和 Wasserstein GAN，看着它们学习，"
                  "再探索它们学到了什么。第一次来？选一个标签页，按下**开始**，并到**关于**标签页了解每个模型做什么。"),
    "tab.acgan": "ACGAN",
    "tab.aae": "AAE",
    "tab.wgan": "WGAN",
    "tab.lab": "二维实验室",
    "tab.about": "关于",
    "about.text": ABOUT,
    # -- each tab's introduction and its sample grid's caption ---------------------------------------
    "intro.acgan": ("**ACGAN**（Odena 等，2017）按你指定的类别生成图像。它的判别器既判断真假，*也*给出类别，"
                    "从而促使生成器把每个类别都画得可以辨认。训练几百步之后，可以在“探索”中试试类别网格。"),
    "intro.aae": ("**对抗自编码器**（Makhzani 等，2015）把每张图像压缩成编码 z 再解码回来，同时一个作用于*编码*的判别器"
                  "把编码的分布约束为先验 p(z)。实时网格并排显示测试图像及其重建。*有监督*：标签输入解码器，z 只保留风格。"
                  "*半监督*：一个类别头从少量带标签的数字中学习（快速预设和随附模型用 1,000 个，论文用 100 个）。"
                  "*聚类*：同样的做法，但不用任何标签。"),
    "intro.wgan": ("**Wasserstein GAN** 训练一个评论家 D 来估计真实图像与生成图像之间的 Wasserstein 距离，并训练生成器缩小它。"
                   "评论家必须满足 1-Lipschitz 条件；各变体的区别在于如何做到：裁剪其权重，或惩罚其梯度。留意 `wasserstein`，"
                   "即评论家对该距离的估计（是一个分数，不是概率）：起初它会上升，因为评论家在学习区分真实与生成；随后随着样本变好"
                   "而缓慢下降；样本有多好由 FID 来衡量。"),
    "intro.lab": ("**二维实验室**：在玩具点集上运行各个 WGAN 变体，一切都能一目了然。黑色：真实点；橙色：生成点。"
                  "热力图是评论家 D(x)，红色表示它认为是*真实*的区域；每个箭头表示生成器的更新会把一个生成点推向哪里（沿 D 上坡）。"
                  "你可以一次一步地训练、放慢速度，或者让各变体并排训练。"),
    "samples.acgan": "由固定 z 生成的样本：每行一个类别，每列一个 z",
    "samples.aae": "测试图像（奇数列）及其重建（偶数列）",
    "samples.wgan": "由固定 z 生成的样本",
    "variant.acgan": "ACGAN",
    "variant.aae": "重建（aae）",
    "variant.aae-supervised": "有监督（aae-supervised）",
    "variant.aae-semisupervised": "半监督（aae-semisupervised）",
    "variant.aae-cluster": "聚类（aae-cluster）",
    "variant.wgan": "权重裁剪（wgan）",
    "variant.wgan-gp": "梯度惩罚（wgan-gp）",
    "variant.wgan-div": "散度（wgan-div）",
    "variant.wgan-lp": "Lipschitz 惩罚（wgan-lp）",
    # -- 1 · Train ---------------------------------------------------------------------------------
    "train.heading": "### 1 · 训练",
    "train.variant": "变体",
    "train.dataset": "数据集",
    "train.preset": "预设",
    "train.preset.info": "快速：CPU 上一分钟内画出数字；论文：已发表的设置。两者都填入批大小和设置，之后可改",
    "preset.quick": "快速",
    "preset.paper": "论文",
    "train.steps": "训练步数",
    "train.steps.info": "生成器更新次数",
    "train.batch": "批大小",
    "train.batch.info": "每批样本数",
    "train.seed": "随机种子",
    "train.seed.info": "固定权重、批次和噪声",
    "train.settings": "模型设置",
    "train.device": "设备：**{device}**（自动检测）",
    "train.start": "开始",
    "train.pause": "暂停",
    "train.resume": "继续",
    "train.stop": "停止",
    "train.runs_box": "本页面的训练",
    "train.runs": "训练（每个标签页一个）；选择一个可将其停止",
    "train.stop_run": "停止所选训练",
    "train.command_box": "用命令行或在笔记本中运行同样的训练",
    # -- the settings of the models ----------------------------------------------------------------
    "setting.arch": "网络结构",
    "setting.latent_dim": "潜在维度（z）",
    "setting.lr": "学习率",
    "setting.betas": "Adam betas",
    "setting.n_critic": "每个生成器步的评论家步数",
    "setting.clip": "裁剪值 c",
    "setting.lambda_gp": "梯度惩罚 λ",
    "setting.k": "惩罚权重 k",
    "setting.p": "惩罚幂次 p",
    "setting.lambda_lp": "Lipschitz 惩罚 λ",
    "setting.aux_weight": "类别损失权重",
    "setting.prior": "先验 p(z)",
    "setting.lr_recon": "学习率：重建",
    "setting.lr_reg": "学习率：正则化",
    "setting.lr_sup": "学习率：有监督",
    "setting.recon_weight": "重建权重",
    "setting.reg_weight": "对抗权重",
    "setting.sup_weight": "有监督权重",
    "setting.toy_width": "隐藏单元数",
    "setting.labels": "有标签样本数",
    "setting.clusters": "簇数 K",
    "setting.lr_critic": "学习率：评论家",
    "setting.width": "宽度（通道数）",
    "setting.hidden": "隐藏单元数",
    # -- 2 · Live ----------------------------------------------------------------------------------
    "live.heading": "### 2 · 实时",
    "live.points_title": "真实点与生成点",
    "live.layers": "显示",
    "live.layer.0": "真实点",
    "live.layer.1": "生成点",
    "live.layer.2": "评论家地形",
    "live.layer.3": "箭头",
    "live.layer.4": "生成器流形",
    "live.legend": (
        "**如何阅读这张图。** 热力图是平面上的评论家 $D(x)$，红色表示它打分为*真实*，蓝色表示打分为*虚假*"
        "（图下方的色条给出数值：WGAN 的评论家给出的是分数，不是概率）。白圈黑点是真实点；橙色点是生成器的样本"
        "（默认就是正在训练的网络本身，而不是滑动平均）。每个箭头是生成器对一个点的推动，"
        "$-\\nabla_x L_G = \\nabla_x D(x)$，其中 $L_G = -\\mathbb{E}[D(G(z))]$：沿评论家上坡。"
        "箭头长度与梯度成正比（斜率 1 对应视图的 5%，最长 15%），因此在接近收敛、评论家变平时箭头会变短。"
        "*生成器流形*：把潜在平面上的网格经 $G$ 画出来，显示它如何把平面折叠到各个模式上。"),
    "live.losses": "损失",
    "live.losses_label": "损失（每条曲线一种损失）",
    "live.plot.fid": "分类器 FID（越低越好）",
    "live.plot.fraction": "准确率与错误率",
    "live.plot.fit": "重建与先验拟合",
    "live.plot.modes": "覆盖的模式数",
    "live.timelapse_box": "延时动画",
    "live.timelapse_btn": "为这次训练生成延时 GIF",
    "live.timelapse_file": "延时动画（GIF）",
    # -- 3 · Explore -------------------------------------------------------------------------------
    "explore.heading": "### 3 · 探索",
    "samples.tab": "样本",
    "samples.n": "图像数量",
    "samples.seed": "潜在编码的种子",
    "samples.button": "生成样本",
    "samples.picture": "样本（每张来自各自的潜在编码）",
    "interp.tab": "潜在空间插值",
    "interp.seed0": "起点的种子",
    "interp.seed1": "终点的种子",
    "interp.dice": "随机种子",
    "interp.path": "路径",
    "interp.linear": "线性",
    "interp.slerp": "球面（slerp）",
    "interp.frames": "帧数",
    "interp.class0": "起点的类别",
    "interp.class1": "终点的类别",
    "interp.button": "插值",
    "interp.strip": "各帧，从头到尾",
    "interp.gif": "动画（GIF）",
    "interp.gif_file": "下载 GIF",
    "classes.tab": "类别条件",
    "classes.class": "类别",
    "classes.seed": "随机种子",
    "classes.columns": "类别 × z 网格的列数（z）",
    "classes.grid_btn": "该类别的网格",
    "classes.cxz_btn": "类别 × z 网格",
    "classes.grid_caption": "同一类别的 64 个样本",
    "classes.cxz_caption": "行：类别；每一列保持同一个 z（类别之外的风格）",
    "latent.tab": "潜在空间",
    "latent.intro": ("编码后的测试集按标签着色，叠在先验的样本（灰色）之上。维度超过 2 的编码显示在它们的两个主轴上。"
                     "**点击图中任意位置**（或设置 x 和 y）即可解码该点。训练进行时，这张图每隔几秒跟着更新。"),
    "latent.encode_btn": "编码测试集",
    "latent.class": "输入解码器的类别",
    "latent.class.info": "用于有监督、半监督和聚类 AAE",
    "latent.point_caption": "(x, y) 的解码结果",
    "latent.plane_btn": "在平面网格上解码",
    "latent.plane_caption": "在潜在平面上解码（x：从左到右，y：从下到上）",
    "landscape.intro": ("上方的实时图跟随本标签页中的训练。若要查看已加载或内置检查点的评论家（或以更精细的分辨率查看本次训练的），"
                        "请按下按钮。"),
    "landscape.button": "绘制评论家地形图",
    # -- the 2-D Lab -------------------------------------------------------------------------------
    "lab.steps_intro": ("**单步训练**：每按一次训练一步并重绘图像（正在进行的训练会先暂停；若没有训练，则从第 0 步开始一次新的）。"),
    "lab.critic_step": "一步评论家",
    "lab.generator_step": "一步生成器",
    "lab.full_step": "完整一步",
    "lab.speed": "速度",
    "lab.speed.2": "慢动作：每秒 2 步",
    "lab.speed.10": "每秒 10 步",
    "lab.speed.50": "每秒 50 步",
    "lab.speed.full": "全速",
    "compare.box": "并排比较各个变体",
    "compare.intro": ("每个变体使用相同的数据、批大小和随机种子，各自采用实验室的默认设置。它们在同一个任务中逐步同步训练，"
                      "让你看到权重裁剪、梯度惩罚、散度和 Lipschitz 惩罚分别对评论家和点产生了什么影响。"),
    "compare.variants": "变体（2 到 4 个）",
    "compare.steps": "步数",
    "compare.steps.info": "每个变体",
    "compare.start": "开始比较",
    "compare.stop": "停止",
    # -- Checkpoints and the Hub -------------------------------------------------------------------
    "ckpt.box": "检查点：保存、下载、恢复、加载",
    "ckpt.save": "保存检查点",
    "ckpt.download": "下载最近一次保存（.zip）",
    "ckpt.download_file": "检查点（.zip）：在下方或任何地方上传即可再次使用",
    "ckpt.resume_intro": "从你的某次保存中**恢复训练**（内置检查点不含优化器状态，因此无法恢复训练）。",
    "ckpt.resume_choice": "要恢复的检查点",
    "ckpt.resume_choice.info": "你的保存与自动保存",
    "ckpt.lr_factor": "学习率倍数",
    "ckpt.lr_factor.info": "乘到每个学习率上；训练发散后请调低（例如 0.3）",
    "ckpt.resume": "从检查点恢复训练",
    "ckpt.load_intro": "**加载检查点以供探索**：从列表中选择，或上传检查点文件夹中的文件（全部选中）或其 .zip。",
    "ckpt.load_choice": "检查点",
    "ckpt.load_choice.info": "你的保存和上传，以及内置检查点",
    "ckpt.load_files": "…或上传 config.json + model.safetensors（及其余文件），或一个 .zip",
    "ckpt.load": "加载检查点",
    "hub.box": "分享到 Hugging Face Hub",
    "hub.push_repo": "仓库 id",
    "hub.push_token": "访问令牌",
    "hub.push_token.info": "一个写权限令牌（https://huggingface.co/settings/tokens）；只用于这次推送，不会保存",
    "hub.private": "私有仓库",
    "hub.push": "把最近保存的检查点推送到 Hub",
    "hub.pull_repo": "从 Hub 加载：仓库 id",
    "hub.pull_token": "访问令牌（可选）",
    "hub.pull_token.info": "仅用于你的私有或受限仓库；只用于这次加载，不会保存",
    "hub.pull": "从 Hub 加载",
    # -- made on the server, per request (tr) ------------------------------------------------------
    "state.ready": "正在启动",
    "state.running": "训练中",
    "state.paused": "已暂停",
    "state.queued": "排队中",
    "state.stopped": "已停止",
    "state.finished": "已完成",
    "state.diverged": "已发散",
    "state.failed": "失败",
    "status.idle": "未在训练。选好设置后按下**开始**。",
    "status.line": ("**{state}** {model}，数据集 {dataset} · 第 **{step:,} / {steps:,}** 步 · {rate} · "
                    "已用时 {elapsed}{eta}"),
    "status.eta": " · 预计剩余 **{eta}**",
    "status.rate.images": "{rate:,.0f} 张图像/秒",
    "status.rate.points": "{rate:,.0f} 个点/秒",
    "status.not_started": "尚未开始",
    "status.by_hand": "手动单步",
    "status.measuring": "正在测速…",
    "status.diverged_at": "在第 {step:,} 步发散：",
    "status.starting": "**正在启动** {model}，数据集 {dataset}…",
    "status.not_started_because": "⚠ 未能开始：{error}",
    "status.no_run": "本标签页中没有可以{verb}的训练。",
    "status.verb.pause": "暂停",
    "status.verb.resume": "继续",
    "status.verb.stop": "停止",
    "queue.others": "另有 {n} 个训练",
    "queue.others_many": "另有 {n} 个训练",
    "queue.for_place": "{others}在等待空位。",
    "queue.run_left": "{others}在等待空位：本次训练约 **{left}** 后结束（早于其轮次结束），随后让出空位。",
    "queue.turn_left": "{others}在等待空位：本次训练的轮次约 **{left}** 后结束，届时会先保存，再等待下一轮。",
    "queue.turn_ended": "它的轮次在第 {step:,} 步结束，因为有其他训练在等待：它已保存，正在等待下一轮，学到的一切都会保留。",
    "queue.busy": "服务器繁忙：",
    "queue.trains_again": "约 **{wait}** 后继续训练",
    "queue.starts_in": "约 **{wait}** 后开始",
    "queue.when_free": "有空位时开始",
    "queue.place": "{head}在队列中排第 **{position}** 位（共 {waiting} 个），{when}。它会自动开始，请保持此页面打开。",
}

# The model settings' help (each Config's `param(..., help)`), by its English text: a setting's info
# line in the Train panel. tests/test_i18n.py fails on a help text without its translation here.
HELP = {
    "dcgan: a light DCGAN-style net at the data's own size (28 or 32), fast on a CPU; reference: PyTorch-GAN's "
    "acgan.py conv net at 32x32 (about 4x slower)":
        "dcgan：数据原尺寸（28 或 32）上的轻量 DCGAN 式网络，在 CPU 上很快；reference：PyTorch-GAN 的 acgan.py "
        "卷积网络，32x32（约慢 4 倍）",
    "size of the noise vector z": "噪声向量 z 的维度",
    "learning rate of both networks (Adam)": "两个网络的学习率（Adam）",
    "Adam's beta1, beta2 (Radford et al. 2015)": "Adam 的 beta1、beta2（Radford 等，2015）",
    "weight of the class terms L_C against the source terms L_S": "类别项 L_C 相对于真假项 L_S 的权重",
    "D also learns to name the class of fakes, -log P(c | G(z, c)), as in the paper's L_C (on); off: D's class "
    "head learns from real images only":
        "开启：判别器也学习说出生成图像的类别，-log P(c | G(z, c))，即论文中的 L_C；关闭：判别器的类别头只从真实图像学习",
    "decay of the moving average of the generator's weights that draws samples and scores (0: sample from the "
    "generator itself)":
        "生成器权重滑动平均的衰减率，用它生成样本和计算分数（0：直接用生成器本身采样）",
    "channels of the dcgan arch's first layer": "dcgan 结构第一层的通道数",
    "size of the dcgan arch's label embedding, concatenated to z": "dcgan 结构中标签嵌入的维度，与 z 拼接",
    "size of the code z (2 lets the explorer draw it)": "编码 z 的维度（为 2 时可在探索中画出）",
    "the prior p(z) the code is held to (the paper's figures 2 and 4)": "约束编码的先验 p(z)（论文图 2 和图 4）",
    "units of each of the two hidden layers of every net (paper: 1000)": "每个网络两个隐藏层各自的单元数（论文：1000）",
    "learning rate of the reconstruction phase (Adam)": "重建阶段的学习率（Adam）",
    "learning rate of the regularization phase, D and encoder (Adam)": "正则化阶段（判别器和编码器）的学习率（Adam）",
    "Adam's beta1, beta2": "Adam 的 beta1、beta2",
    "weight of the reconstruction loss": "重建损失的权重",
    "weight of the encoder's adversarial loss": "编码器对抗损失的权重",
    "size of the style code z": "风格编码 z 的维度",
    "D_z also sees the one-hot label, D(z, y): the code of every class must match the prior, so z keeps the "
    "style and the label chooses the digit (off: the paper's D(z), Figure 6)":
        "D_z 同时看到 one-hot 标签，D(z, y)：每个类别的编码都须符合先验，于是 z 只保留风格，由标签决定数字"
        "（关闭：论文的 D(z)，图 6）",
    "size of the style code z (the class y is apart)": "风格编码 z 的维度（类别 y 另外表示）",
    "labelled training examples, balanced over the classes and fixed by the seed": "带标签的训练样本数，各类别均衡，由种子固定",
    "learning rate of the regularization phase, Ds and encoder (Adam)": "正则化阶段（各判别器和编码器）的学习率（Adam）",
    "learning rate of the supervised phase (Adam)": "监督阶段的学习率（Adam）",
    "weight of the encoder's adversarial losses": "编码器各对抗损失的权重",
    "weight of the supervised cross entropy": "监督交叉熵的权重",
    "augmentation: training images move by up to this many pixels, each its own random way (0: off)":
        "数据增强：每张训练图像随机平移至多这么多像素（0：关闭）",
    "with shift: the decoder redraws the shifted image the encoder saw (off: the original, centred one, so the "
    "style code need not spend its room on where the digit sits)":
        "有平移时：解码器重绘编码器所见的平移后图像（关：重绘原来居中的图像，风格码便不必用空间记录数字的位置）",
    "with shift: the autoencoder's phases see shifted images too (off: only the labelled examples of the "
    "supervised phase are shifted)":
        "有平移时：自编码器的各阶段也看到平移后的图像（关：只有监督阶段的带标签样本被平移）",
    "the style z comes from a trunk of its own, which only the autoencoder's phases train (off: the paper's "
    "one trunk, shared with the class head, whose supervised phase moves the features the style is read from)":
        "风格 z 来自它自己的主干，只由自编码器的各阶段训练（关：论文的单一主干，与类别头共用，"
        "其监督阶段会改变风格所读取的特征）",
    "weight of -I(x; y) = H(y|x) - H(y) in the encoder's regularization loss: confident, balanced q(y|x) (0: "
    "the paper's AAE)":
        "编码器正则化损失中 -I(x; y) = H(y|x) - H(y) 的权重：让 q(y|x) 既确定又均衡（0：论文的 AAE）",
    "decay of the moving average of the encoder's weights that classifies and encodes outside training (0: "
    "the encoder itself)":
        "编码器权重滑动平均的衰减率，训练之外用它分类和编码（0：编码器本身）",
    "D_z also sees the encoder's class belief y (detached), D(z, y): the style of each class must match the "
    "prior, so z cannot carry the class and the chosen class draws its digit (off: the paper's D(z))":
        "D_z 同时看到编码器对类别的判断 y（不回传梯度），D(z, y)：每个类别的风格都须符合先验，于是 z 无法携带类别，"
        "由所选类别画出对应数字（关闭：论文的 D(z)）",
    "number of clusters K (the categorical prior's size)": "聚类数 K（类别先验的大小）",
    "size of the style code z (the cluster y is apart)": "风格编码 z 的维度（簇 y 另外表示）",
    "learning rate of the phase that teaches the teachers' consensus (Adam)": "学习教师共识的阶段的学习率（Adam）",
    "weight of the cross entropy to the teachers' consensus": "对教师共识的交叉熵的权重",
    "comma-separated folders of finished aae-cluster runs on the same data: q(y|x) also learns their consensus "
    "clustering of the training set (empty: off)":
        "逗号分隔的文件夹，为同一数据上已完成的 aae-cluster 训练：q(y|x) 也学习它们对训练集的共识聚类（留空：关闭）",
    "mlp: PyTorch-GAN's MLP (a 3x512 ReLU MLP on 2-D data); dcgan: a small conv net (images only)":
        "mlp：PyTorch-GAN 的 MLP（二维数据上为 3x512 的 ReLU MLP）；dcgan：小型卷积网络（仅图像）",
    "learning rate of both networks (RMSprop)": "两个网络的学习率（RMSprop）",
    "the critic's own learning rate, a two time-scale update (Heusel et al. 2017) with fewer critic steps (0: "
    "lr, as the papers)":
        "评论家自己的学习率：双时间尺度更新（Heusel 等，2017），配合更少的评论家步数（0：与 lr 相同，如论文）",
    "critic updates per generator update": "每次生成器更新对应的评论家更新次数",
    "hidden units of the 2-D toy MLP (512 in gan_toy.py; 128 learns faster on a CPU)":
        "二维玩具 MLP 的隐藏单元数（gan_toy.py 中为 512；128 在 CPU 上学得更快）",
    "weights of the critic are clipped to [-clip, clip]": "评论家的权重被裁剪到 [-clip, clip]",
    "learning rate of both networks": "两个网络的学习率",
    "weight of the gradient penalty": "梯度惩罚的权重",
    "weight of the divergence penalty": "散度惩罚的权重",
    "power of the gradient norm in the penalty": "惩罚中梯度范数的幂次",
    "weight of the one-sided Lipschitz penalty": "单侧 Lipschitz 惩罚的权重",
    "the decoder: the paper's MLP, or a DCGAN-style conv generator (nets.conv_generator: two 4x4 transposed "
    "convolutions with batch norm)":
        "解码器：论文的 MLP，或 DCGAN 式卷积生成器（nets.conv_generator：两层带批归一化的 4x4 转置卷积）",
    "channels of the conv decoder (decoder=conv): 2w at 7x7, w at 14x14":
        "卷积解码器（decoder=conv）的通道数：7x7 处 2w，14x14 处 w",
    "units of each of the MLP decoder's two hidden layers (0: `hidden`, as every other net)":
        "MLP 解码器两个隐藏层各自的单元数（0：与其他网络一样用 `hidden`）",
    "the reconstruction loss: squared error of a tanh image, or binary cross entropy of a sigmoid (Bernoulli) "
    "output, the paper's MNIST decoders":
        "重建损失：tanh 图像的平方误差，或 sigmoid（伯努利）输出的二元交叉熵，即论文的 MNIST 解码器",
    "decay of a moving average of the decoder's weights that draws samples and reconstructs outside training "
    "(0: the decoder itself)":
        "解码器权重滑动平均的衰减率，训练之外由它采样和重建（0：用解码器本身）",
    "q(z|x): a code per image, or a Gaussian whose mean and spread the encoder gives (section 2.1); training "
    "draws from it, exploring reads its mean":
        "q(z|x)：每张图像一个编码，或由编码器给出均值和离散度的高斯分布（第 2.1 节）；训练时从中抽样，探索时读取其均值",
}
